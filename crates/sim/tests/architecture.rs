//! The architecture invariants of ARCHITECTURE.md that a test can check: the modules of `sim` form no cycle (data
//! flows one way), and `logoff-core` reads no clock, draws no random number and holds no hash-ordered collection.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod common;

/// The top-level modules of `sim` that a file's code (not its comments) names with `crate::NAME`.
fn uses(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            // `use crate::{a, b}` names several modules at once.
            if name.is_empty() && rest.starts_with('{') {
                let inside = rest[1..].split('}').next().unwrap_or_default();
                found.extend(
                    inside.split(',').map(|item| item.trim().split("::").next().unwrap_or_default().to_string()),
                );
            } else {
                found.push(name);
            }
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

/// Every `.rs` file under a workspace directory, at any depth, in name order.
fn rust_files(relative: &str) -> Vec<PathBuf> {
    fn walk(directory: &Path, found: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(directory).unwrap_or_else(|e| panic!("{}: {e}", directory.display()));
        for entry in entries {
            let path = entry.expect("the directory can be listed").path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&common::workspace_dir(relative), &mut found);
    found.sort();
    found
}

/// The module graph of a crate's `src/`: each top-level module (a file, or a folder with all its files) and the
/// top-level modules its code names with `crate::`.
fn module_graph(source_dir: &str) -> BTreeMap<String, Vec<String>> {
    let root = common::workspace_dir(source_dir);
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in rust_files(source_dir) {
        let relative = path.strip_prefix(&root).unwrap();
        let first = relative.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
        let module = first.strip_suffix(".rs").unwrap_or(&first).to_string();
        if module == "main" || module == "lib" || module == "bin" {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        let entry = graph.entry(module.clone()).or_default();
        for used in uses(&source) {
            if used != module && !entry.contains(&used) {
                entry.push(used);
            }
        }
    }
    graph
}

/// A cycle of the graph, if there is one (depth-first search with three colours).
fn cycle(graph: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, Vec<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(2) => return None,
            Some(1) => {
                let start = path.iter().position(|n| n == node).unwrap_or(0);
                let mut found = path[start..].to_vec();
                found.push(node.to_string());
                return Some(found);
            }
            _ => {}
        }
        state.insert(node.to_string(), 1);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, state, path) {
                return Some(found);
            }
        }
        path.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    graph.keys().find_map(|node| visit(node, graph, &mut state, &mut Vec::new()))
}

/// Shows that the modules of `sim` form no cycle (the script runner, the simulator and the explorer share one way
/// of checking a step, and nothing below it imports what is above it), folders such as `conform/`, `render/` and
/// `script/` included, and that the check finds a cycle when one is there.
#[test]
fn the_modules_of_sim_form_no_cycle() {
    let graph = module_graph("crates/sim/src");
    for folder in ["conform", "render", "script"] {
        assert!(graph.contains_key(folder), "the folder module {folder} is in the graph: {graph:?}");
    }
    assert!(graph.len() >= 20, "only {} modules found", graph.len());
    assert!(graph["explore"].contains(&"invariants".to_string()), "the parser of `use` lines works: {graph:?}");
    assert!(graph["conform"].contains(&"role".to_string()), "a folder's files are read: {graph:?}");
    if let Some(found) = cycle(&graph) {
        panic!("a module cycle: {}", found.join(" -> "));
    }
    let mut broken = graph.clone();
    broken.get_mut("invariants").unwrap().push("explore".to_string());
    assert!(cycle(&broken).is_some(), "a cycle made on purpose is found");
}

/// Shows that the modules of `logoff-core` form no cycle at all: the core reads one way, model -> reference ->
/// role -> world -> state (issue 16), and that the graph is read (the model names the reference roles, the roles
/// name the world).
#[test]
fn the_modules_of_the_core_form_no_cycle() {
    let graph = module_graph("crates/logoff-core/src");
    assert!(graph.len() >= 9, "only {} modules found: {graph:?}", graph.len());
    for (from, to) in [("model", "reference"), ("reference", "role"), ("role", "world"), ("world", "state")] {
        assert!(graph[from].contains(&to.to_string()), "{from} names {to}: {graph:?}");
    }
    if let Some(found) = cycle(&graph) {
        panic!("a module cycle in logoff-core: {}", found.join(" -> "));
    }
}

/// Shows that `logoff-core` stays pure: no clock, no randomness, no hash-ordered collection, no shared mutability.
#[test]
fn the_core_is_pure() {
    let forbidden =
        ["Instant", "SystemTime", "rand::", "HashMap", "HashSet", "RefCell", "Rc<", "Mutex", "std::fs", "std::io"];
    let files = rust_files("crates/logoff-core/src");
    assert!(files.len() >= 6, "only {} files of the core found", files.len());
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap();
        for (number, line) in source.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for word in forbidden {
                assert!(!code.contains(word), "{}:{}: `{word}` in the pure core: {line}", path.display(), number + 1);
            }
        }
    }
}
