//! The task dependency graph in a compact, analysis-friendly form.

use petgraph::graph::{DiGraph, NodeIndex};

/// The tasks' dependency graph: acyclic, with a topological order and
/// predecessor/successor lists stored contiguously for fast repeated passes.
///
/// Task indices are the scenario's file order.
#[derive(Debug, Clone, Default)]
pub struct TaskGraph {
    order: Vec<u32>,
    pred_start: Vec<u32>,
    preds: Vec<u32>,
    succ_start: Vec<u32>,
    succs: Vec<u32>,
}

impl TaskGraph {
    /// Builds the graph of `n` tasks with edges `(before, after)`.
    ///
    /// Returns every cycle found (each as task indices in dependency order,
    /// first task repeated at the end) when the edges are not acyclic.
    pub fn new(n: usize, edges: &[(usize, usize)]) -> Result<TaskGraph, Vec<Vec<usize>>> {
        let mut g: DiGraph<(), ()> = DiGraph::with_capacity(n, edges.len());
        for _ in 0..n {
            g.add_node(());
        }
        for &(a, b) in edges {
            g.add_edge(NodeIndex::new(a), NodeIndex::new(b), ());
        }
        let order = match petgraph::algo::toposort(&g, None) {
            Ok(order) => order,
            Err(_) => return Err(cycles(&g)),
        };
        let (pred_start, preds) = csr(n, edges.iter().map(|&(a, b)| (b, a)));
        let (succ_start, succs) = csr(n, edges.iter().copied());
        Ok(TaskGraph {
            order: order.into_iter().map(|i| i.index() as u32).collect(),
            pred_start,
            preds,
            succ_start,
            succs,
        })
    }

    /// How many tasks.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when there are no tasks.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Task indices in an order where every task comes after its predecessors.
    pub fn topological_order(&self) -> &[u32] {
        &self.order
    }

    /// The tasks that must finish before task `i` starts.
    pub fn predecessors(&self, i: usize) -> &[u32] {
        &self.preds[self.pred_start[i] as usize..self.pred_start[i + 1] as usize]
    }

    /// The tasks that wait for task `i`.
    pub fn successors(&self, i: usize) -> &[u32] {
        &self.succs[self.succ_start[i] as usize..self.succ_start[i + 1] as usize]
    }
}

/// Compressed adjacency lists: `start[i]..start[i+1]` indexes `items` for node `i`,
/// neighbours sorted by index so iteration order is stable.
fn csr(n: usize, edges: impl Iterator<Item = (usize, usize)>) -> (Vec<u32>, Vec<u32>) {
    let mut lists: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (from, to) in edges {
        lists[from].push(to as u32);
    }
    let mut start = Vec::with_capacity(n + 1);
    let mut items = Vec::new();
    start.push(0);
    for mut l in lists {
        l.sort_unstable();
        l.dedup();
        items.extend(l);
        start.push(items.len() as u32);
    }
    (start, items)
}

/// One cycle per strongly connected component that has one, each starting at
/// its lowest task index and following dependencies back to it.
fn cycles(g: &DiGraph<(), ()>) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for scc in petgraph::algo::tarjan_scc(g) {
        let self_loop = scc.len() == 1 && g.contains_edge(scc[0], scc[0]);
        if scc.len() < 2 && !self_loop {
            continue;
        }
        let inside: std::collections::HashSet<NodeIndex> = scc.iter().copied().collect();
        let Some(&start) = scc.iter().min() else {
            continue;
        };
        // Breadth-first search for the shortest way from `start` back to itself.
        let mut parent: std::collections::HashMap<NodeIndex, NodeIndex> = Default::default();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut closing = None;
        'search: while let Some(v) = queue.pop_front() {
            let mut next: Vec<NodeIndex> = g.neighbors(v).filter(|w| inside.contains(w)).collect();
            next.sort();
            for w in next {
                if w == start {
                    closing = Some(v);
                    break 'search;
                }
                if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(w) {
                    e.insert(v);
                    queue.push_back(w);
                }
            }
        }
        let Some(mut v) = closing else { continue };
        let mut path = vec![start.index()];
        let mut back = vec![];
        while v != start {
            back.push(v.index());
            v = parent[&v];
        }
        back.reverse();
        path.extend(back);
        path.push(start.index());
        out.push(path);
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_and_lists() {
        let g = TaskGraph::new(4, &[(0, 1), (0, 2), (1, 3), (2, 3)]).unwrap();
        assert_eq!(g.topological_order()[0], 0);
        assert_eq!(g.topological_order()[3], 3);
        assert_eq!(g.predecessors(3), &[1, 2]);
        assert_eq!(g.successors(0), &[1, 2]);
        assert!(g.predecessors(0).is_empty());
    }

    #[test]
    fn names_cycles_in_order() {
        let err = TaskGraph::new(4, &[(0, 1), (1, 2), (2, 0), (3, 3)]).unwrap_err();
        assert_eq!(err, vec![vec![0, 1, 2, 0], vec![3, 3]]);
    }
}
