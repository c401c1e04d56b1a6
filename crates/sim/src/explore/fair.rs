//! Liveness on the state graph: the blocked subgraph kept during the search, and the fair cycles in it (Tarjan's
//! strongly connected components, judged under strong fairness for the progress steps).

use logoff_core::*;

use super::fingerprint::FingerprintMap;

/// A step of the blocked subgraph: its action, the fingerprint of the state it leads to, and whether a call is
/// still blocked there.
#[derive(Clone, Copy)]
pub(super) struct Edge {
    pub(super) action: Action,
    pub(super) to: u64,
    pub(super) blocked: bool,
}

/// A state with a blocked call, its id in the exploration, and its edges.
pub(super) struct Node {
    pub(super) id: u32,
    pub(super) fingerprint: u64,
    pub(super) edges: Vec<Edge>,
}

/// A step that fairness requires to be taken when it stays possible: the spooler's sends and receives, and a
/// transport completing what it started (a send or receive completing, a flush completing, TransportLogoff
/// returning). Failures, new work and every client call are required of no one.
pub(super) fn is_progress(action: Action) -> bool {
    matches!(
        action,
        Action::Send(..)
            | Action::Receive(..)
            | Action::Sent(..)
            | Action::Received(..)
            | Action::Flushed(..)
            | Action::LogoffReturns(_, LogoffOutcome::Ok)
    )
}

/// R21 on the state graph: a strongly connected set of states with a blocked call in which a run can stay forever
/// while being fair. Fairness is strong for every progress step ([`is_progress`]): a step enabled again and again
/// is eventually taken. So a component traps a fair run iff it has a cycle and every progress step enabled in any
/// of its states has a copy that stays inside it. Returns the smallest id of a state of such a component, from
/// which the counterexample's path is built. Components are found by Tarjan's algorithm, iteratively, over the
/// nodes in exploration order, so the result is deterministic; the map below is looked up, never iterated.
pub(super) fn fair_cycle(graph: &[Node]) -> Option<u32> {
    let index_of: FingerprintMap<usize> =
        graph.iter().enumerate().map(|(index, node)| (node.fingerprint, index)).collect();
    let successors: Vec<Vec<usize>> = graph
        .iter()
        .map(|node| node.edges.iter().filter(|e| e.blocked).filter_map(|e| index_of.get(&e.to).copied()).collect())
        .collect();
    let mut trapping: Option<u32> = None;
    // One membership vector for all components, cleared after each: linear in the graph, not quadratic.
    let mut inside = vec![false; graph.len()];
    for component in tarjan(&successors) {
        let has_cycle = component.len() > 1 || successors[component[0]].contains(&component[0]);
        if !has_cycle {
            continue;
        }
        for n in &component {
            inside[*n] = true;
        }
        // The actions with a copy that stays inside the component (a set looked up, never iterated).
        let staying: std::collections::HashSet<Action> = component
            .iter()
            .flat_map(|n| graph[*n].edges.iter())
            .filter(|e| e.blocked && index_of.get(&e.to).is_some_and(|to| inside[*to]))
            .map(|e| e.action)
            .collect();
        for n in &component {
            inside[*n] = false;
        }
        let fair = component
            .iter()
            .all(|n| graph[*n].edges.iter().filter(|e| is_progress(e.action)).all(|e| staying.contains(&e.action)));
        if fair {
            let id = component.iter().map(|n| graph[*n].id).min().unwrap_or(0);
            trapping = Some(trapping.map_or(id, |best| best.min(id)));
        }
    }
    trapping
}

/// The strongly connected components of a graph given by successor lists (Tarjan's algorithm, without recursion).
fn tarjan(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNVISITED: usize = usize::MAX;
    let count = successors.len();
    let (mut index, mut low, mut on_stack) = (vec![UNVISITED; count], vec![0; count], vec![false; count]);
    let (mut stack, mut components, mut next_index) = (Vec::new(), Vec::new(), 0);
    for root in 0..count {
        if index[root] != UNVISITED {
            continue;
        }
        // The depth-first search's own stack: a node and the position of its next successor.
        let mut calls = vec![(root, 0usize)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&(node, position)) = calls.last() {
            if let Some(&successor) = successors[node].get(position) {
                if let Some(call) = calls.last_mut() {
                    call.1 += 1;
                }
                if index[successor] == UNVISITED {
                    index[successor] = next_index;
                    low[successor] = next_index;
                    next_index += 1;
                    stack.push(successor);
                    on_stack[successor] = true;
                    calls.push((successor, 0));
                } else if on_stack[successor] {
                    low[node] = low[node].min(index[successor]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

/// A blocked call, which liveness must see return.
pub(super) fn has_blocked_call(model: &Model) -> bool {
    model.store_phase() == StorePhase::LoggingOff
        || ClientId::all(usize::from(model.setup().clients))
            .any(|c| model.client(c).is_some_and(|client| client.blocked.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(action: Action, to: u64, blocked: bool) -> Edge {
        Edge { action, to, blocked }
    }

    const SEND: Action = Action::Send(MessageId(0), TransportId(0));
    const SENT: Action = Action::Sent(TransportId(0), MessageId(0));
    const FAILED: Action = Action::SendFailed(TransportId(0), MessageId(0));
    const OPEN: Action = Action::OtherOpen;
    const CLOSE: Action = Action::OtherClose;

    /// Shows the fair-cycle check on small graphs: a cycle whose every progress step stays inside traps a fair run;
    /// a cycle that a progress step always leaves does not (strong fairness takes it); and a cycle of failures only
    /// is unfair once the completing step is possible.
    #[test]
    fn fair_cycles_are_those_no_progress_step_leaves() {
        // Queued (1) -> sending (2) -> failed -> queued: `Sent` leads out of the blocked states.
        let retrying = [
            Node { id: 1, fingerprint: 1, edges: vec![edge(SEND, 2, true)] },
            Node { id: 2, fingerprint: 2, edges: vec![edge(FAILED, 1, true), edge(SENT, 3, false)] },
        ];
        assert_eq!(fair_cycle(&retrying), None);
        // The same, but `Sent` puts the message back (a spooler that never finishes a send): a fair trap.
        let looping = [
            Node { id: 1, fingerprint: 1, edges: vec![edge(SEND, 2, true)] },
            Node { id: 2, fingerprint: 2, edges: vec![edge(FAILED, 1, true), edge(SENT, 1, true)] },
        ];
        assert_eq!(fair_cycle(&looping), Some(1));
        // Another process opening and closing forever while nothing can progress: a trap (no progress step at all).
        let toggling = [
            Node { id: 4, fingerprint: 4, edges: vec![edge(OPEN, 5, true)] },
            Node { id: 5, fingerprint: 5, edges: vec![edge(CLOSE, 4, true)] },
        ];
        assert_eq!(fair_cycle(&toggling), Some(4));
        // The same toggling while a send is possible and leads out: fairness takes the send.
        let toggling_with_work = [
            Node { id: 4, fingerprint: 4, edges: vec![edge(OPEN, 5, true), edge(SEND, 6, false)] },
            Node { id: 5, fingerprint: 5, edges: vec![edge(CLOSE, 4, true)] },
        ];
        assert_eq!(fair_cycle(&toggling_with_work), None);
        // No cycle at all: nothing traps.
        let chain = [
            Node { id: 7, fingerprint: 7, edges: vec![edge(OPEN, 8, true)] },
            Node { id: 8, fingerprint: 8, edges: vec![] },
        ];
        assert_eq!(fair_cycle(&chain), None);
    }

    /// Shows Tarjan's components on a graph with two cycles joined by one edge, and a lone node.
    #[test]
    fn tarjan_finds_the_components() {
        let successors = vec![vec![1], vec![0, 2], vec![3], vec![2], vec![]];
        let mut components: Vec<Vec<usize>> = tarjan(&successors)
            .into_iter()
            .map(|mut c| {
                c.sort();
                c
            })
            .collect();
        components.sort();
        assert_eq!(components, vec![vec![0, 1], vec![2, 3], vec![4]]);
    }
}
