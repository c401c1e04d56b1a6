//! The architecture invariants of ARCHITECTURE.md that a test can check: the modules of `sim` form no cycle (data
//! flows one way), and `logoff-core` reads no clock, draws no random number and holds no hash-ordered collection.

use std::collections::BTreeMap;

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

/// The module graph of `sim`: each module (a file of `src/`, or the folder `script/`) and the modules it uses.
fn module_graph() -> BTreeMap<String, Vec<String>> {
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in common::files("crates/sim/src", "rs").into_iter().chain(common::files("crates/sim/src/script", "rs")) {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let in_script = path.parent().is_some_and(|parent| parent.ends_with("script"));
        let module = if in_script { "script".to_string() } else { stem };
        if module == "main" || module == "lib" {
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
/// of checking a step, and nothing below it imports what is above it), and that the check finds a cycle when one
/// is there.
#[test]
fn the_modules_of_sim_form_no_cycle() {
    let graph = module_graph();
    assert!(graph.len() >= 15, "only {} modules found", graph.len());
    assert!(graph["explore"].contains(&"invariants".to_string()), "the parser of `use` lines works: {graph:?}");
    if let Some(found) = cycle(&graph) {
        panic!("a module cycle: {}", found.join(" -> "));
    }
    let mut broken = graph.clone();
    broken.get_mut("invariants").unwrap().push("explore".to_string());
    assert!(cycle(&broken).is_some(), "a cycle made on purpose is found");
}

/// Shows that `logoff-core` stays pure: no clock, no randomness, no hash-ordered collection, no shared mutability.
#[test]
fn the_core_is_pure() {
    let forbidden =
        ["Instant", "SystemTime", "rand::", "HashMap", "HashSet", "RefCell", "Rc<", "Mutex", "std::fs", "std::io"];
    for path in common::files("crates/logoff-core/src", "rs") {
        let source = std::fs::read_to_string(&path).unwrap();
        for (number, line) in source.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for word in forbidden {
                assert!(!code.contains(word), "{}:{}: `{word}` in the pure core: {line}", path.display(), number + 1);
            }
        }
    }
}
