//! The order of a chain: which steps may run side by side, and in what order.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::file::{Chain, Step};

/// The steps in waves: a step is in the wave after the latest of the
/// steps it needs. Steps of one wave may run side by side; in a run a step
/// starts as soon as the steps it needs succeeded, so waves are a picture,
/// not a barrier. Within a wave, steps keep their order in the file.
pub fn waves(chain: &Chain) -> Vec<Vec<&Step>> {
    let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
    // The chain is checked (no cycle), so this settles in at most n passes.
    for _ in 0..=chain.steps.len() {
        let mut changed = false;
        for step in &chain.steps {
            let d = step.needs.iter().map(|n| depth.get(n.as_str()).map_or(1, |d| d + 1)).max().unwrap_or(0);
            if depth.get(step.name.as_str()) != Some(&d) {
                depth.insert(&step.name, d);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut waves: Vec<Vec<&Step>> = Vec::new();
    for step in &chain.steps {
        let d = depth[step.name.as_str()];
        if waves.len() <= d {
            waves.resize_with(d + 1, Vec::new);
        }
        waves[d].push(step);
    }
    waves
}

/// The steps in an order that runs each after what it needs.
pub fn order(chain: &Chain) -> Vec<&Step> {
    waves(chain).into_iter().flatten().collect()
}

/// `sacctl chain plan` as text.
pub fn describe(chain: &Chain) -> String {
    let mut out = String::new();
    for (i, wave) in waves(chain).iter().enumerate() {
        let steps: Vec<String> = wave
            .iter()
            .map(|s| {
                if s.needs.is_empty() {
                    format!("{} ({})", s.name, s.kind)
                } else {
                    format!("{} ({}, after {})", s.name, s.kind, s.needs.join(", "))
                }
            })
            .collect();
        let side = if wave.len() > 1 { "  [in parallel]" } else { "" };
        out.push_str(&format!("{}. {}{side}\n", i + 1, steps.join(" | ")));
    }
    out
}

/// `sacctl chain plan --output json`.
pub fn to_json(chain: &Chain) -> Value {
    json!({
        "chain": chain.path,
        "order": order(chain).iter().map(|s| &s.name).collect::<Vec<_>>(),
        "groups": waves(chain).iter().map(|w| w.iter().map(|s| &s.name).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "steps": chain.steps.iter().map(|s| json!({"name": s.name, "kind": s.kind, "needs": s.needs})).collect::<Vec<_>>(),
    })
}
