//! The cycle among a chain's steps that forbids any order (reported when
//! the file is read).

use std::collections::{BTreeMap, BTreeSet};

/// A cycle among the steps, as names from a step back to itself.
pub fn find_cycle(steps: &[(String, Vec<String>)]) -> Option<Vec<String>> {
    let needs: BTreeMap<&str, &[String]> =
        steps.iter().map(|(name, needs)| (name.as_str(), needs.as_slice())).collect();
    // Depth-first search; a step met again on the current path closes a cycle.
    fn visit<'a>(
        name: &'a str,
        needs: &BTreeMap<&'a str, &'a [String]>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| *p == name) {
            let mut cycle: Vec<String> = path[i..].iter().map(|s| s.to_string()).collect();
            cycle.push(name.to_string());
            return Some(cycle);
        }
        if !done.insert(name) {
            return None;
        }
        path.push(name);
        for need in needs.get(name).copied().unwrap_or_default() {
            if let Some(cycle) = visit(need, needs, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for (name, _) in steps {
        if let Some(cycle) = visit(name, &needs, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}
