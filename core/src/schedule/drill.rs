//! A drill against the day's roster: who of the on-duty squadron can fill
//! each role, which equipment is short, and a resource-levelled schedule
//! (list scheduling, critical-path priority, nobody in two tasks at once).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::input::{Leave, Outage};
use super::{on_leave, pool_on};
use crate::analysis;
use crate::brigade::Brigade;
use crate::scenario::Scenario;

/// How a role of the scenario is filled.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RoleFill {
    /// Role id.
    pub role: String,
    /// The skill it needs.
    pub skill: String,
    /// How many people it needs.
    pub count: u32,
    /// Members assigned to it; nobody is in two roles.
    pub members: Vec<String>,
    /// Every on-duty member current in the skill and not on leave.
    pub candidates: Vec<String>,
    /// How many places stay empty.
    pub missing: u32,
}

/// Equipment a drill needs against what the squadron has that day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct DrillEquipment {
    /// Equipment id.
    pub equipment: String,
    /// Most needed by any one task.
    pub needed: u32,
    /// Held that day, outages deducted.
    pub available: u32,
}

/// One task of the levelled drill schedule.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct DrillStep {
    /// Task id.
    pub task: String,
    /// Start, minutes from the drill's start.
    pub start_minutes: f64,
    /// End, minutes from the drill's start.
    pub end_minutes: f64,
    /// Who works on it.
    pub members: Vec<String>,
}

/// Whether a drill can run on a shift, and how.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct DrillFeasibility {
    /// The scenario, `id@version`.
    pub scenario: String,
    /// The day.
    pub date: NaiveDate,
    /// The on-duty squadron.
    pub squadron: String,
    /// Every role and who fills it.
    pub roles: Vec<RoleFill>,
    /// Equipment needed and held.
    pub equipment: Vec<DrillEquipment>,
    /// What stops the drill, in brigade terms; empty when it can run.
    pub problems: Vec<String>,
    /// The levelled schedule, in start order.
    pub schedule: Vec<DrillStep>,
    /// When the last task ends, minutes.
    pub makespan_minutes: f64,
    /// The critical path length on likely durations, minutes, for comparison.
    pub critical_path_minutes: f64,
}

impl DrillFeasibility {
    /// True when every role is filled and every equipment need met.
    pub fn feasible(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Which on-duty members and which equipment can fill a scenario's roles on
/// `date`, and a levelled schedule of who does which task when.
pub fn drill_feasibility(
    scenario: &Scenario,
    brigade: &Brigade,
    squadron: &str,
    date: NaiveDate,
    leave: &[Leave],
    outages: &[Outage],
) -> DrillFeasibility {
    let mut problems = Vec::new();
    if brigade.squadron(squadron).is_none() {
        problems.push(format!("unknown squadron `{squadron}`"));
    }
    let people: Vec<&crate::brigade::Member> = brigade
        .members_of(squadron)
        .filter(|m| on_leave(leave, &m.id, date).is_none())
        .collect();
    // Slots: one per place in a role, capped at the number of people.
    let mut slots: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut candidates_of = Vec::new();
    for (ri, role) in scenario.roles().iter().enumerate() {
        let mut cand: Vec<usize> = (0..people.len())
            .filter(|&p| people[p].current_level(&role.skill, date).is_some())
            .collect();
        cand.sort_by_key(|&p| {
            (
                std::cmp::Reverse(people[p].current_level(&role.skill, date)),
                p,
            )
        });
        let places = (role.count as usize).min(people.len());
        for _ in 0..places {
            slots.push((ri, cand.clone()));
        }
        candidates_of.push(cand);
    }
    // Kuhn's augmenting paths: each person fills at most one place.
    let mut owner: Vec<Option<usize>> = vec![None; people.len()];
    for s in 0..slots.len() {
        let mut seen = vec![false; people.len()];
        augment(s, &slots, &mut owner, &mut seen);
    }
    let mut assigned: Vec<Vec<usize>> = vec![Vec::new(); scenario.roles().len()];
    for (p, o) in owner.iter().enumerate() {
        if let Some(s) = o {
            assigned[slots[*s].0].push(p);
        }
    }
    let mut roles = Vec::new();
    for (ri, role) in scenario.roles().iter().enumerate() {
        let mut members: Vec<String> = assigned[ri].iter().map(|&p| people[p].id.clone()).collect();
        members.sort();
        let missing = role.count.saturating_sub(members.len() as u32);
        if missing > 0 {
            let c = candidates_of[ri].len();
            problems.push(format!(
                "role `{}` needs {} with `{}` current on {date}; `{squadron}` has {c} on duty and not on leave{}, {} left for this role",
                role.id,
                role.count,
                role.skill,
                if c == 0 { String::new() } else { format!(" ({})", candidates_of[ri].iter().map(|&p| people[p].id.as_str()).collect::<Vec<_>>().join(", ")) },
                members.len()
            ));
        }
        roles.push(RoleFill {
            role: role.id.clone(),
            skill: role.skill.clone(),
            count: role.count,
            candidates: candidates_of[ri]
                .iter()
                .map(|&p| people[p].id.clone())
                .collect(),
            members,
            missing,
        });
    }
    let mut needed: BTreeMap<&str, u32> = BTreeMap::new();
    for t in scenario.tasks() {
        for (eq, &n) in &t.equipment {
            let e = needed.entry(eq.as_str()).or_default();
            *e = (*e).max(n);
        }
    }
    let equipment: Vec<DrillEquipment> = needed
        .iter()
        .map(|(eq, &n)| DrillEquipment {
            equipment: eq.to_string(),
            needed: n,
            available: pool_on(brigade, outages, squadron, eq, date),
        })
        .collect();
    for e in &equipment {
        if e.available < e.needed {
            problems.push(format!(
                "needs {} {} in one task; `{squadron}` has {} on {date}",
                e.needed, e.equipment, e.available
            ));
        }
    }
    // Levelled schedule.
    let cp = analysis::critical_path(scenario);
    let tasks = scenario.tasks();
    let graph = scenario.graph();
    let role_ix: BTreeMap<&str, usize> = scenario
        .roles()
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let dur: Vec<u64> = tasks
        .iter()
        .map(|t| t.duration.likely().as_secs())
        .collect();
    let mut person_free = vec![0u64; people.len()];
    let mut done: Vec<Option<(u64, u64)>> = vec![None; tasks.len()];
    let avail: BTreeMap<&str, u32> = equipment
        .iter()
        .map(|e| (e.equipment.as_str(), e.available))
        .collect();
    let mut schedule = Vec::new();
    for _ in 0..tasks.len() {
        let next = (0..tasks.len())
            .filter(|&i| {
                done[i].is_none()
                    && graph
                        .predecessors(i)
                        .iter()
                        .all(|&p| done[p as usize].is_some())
            })
            .min_by_key(|&i| (cp.timings()[i].latest_start.as_secs(), i));
        let Some(i) = next else { break };
        let crew: Vec<usize> = tasks[i]
            .roles
            .iter()
            .filter_map(|r| role_ix.get(r.as_str()))
            .flat_map(|&ri| assigned[ri].iter().copied())
            .collect();
        let mut start = graph
            .predecessors(i)
            .iter()
            .filter_map(|&p| done[p as usize].map(|(_, e)| e))
            .max()
            .unwrap_or(0);
        for &p in &crew {
            start = start.max(person_free[p]);
        }
        // Push past equipment clashes: at most one push per task already placed.
        for _ in 0..=tasks.len() {
            let end = start + dur[i];
            let clash = tasks[i].equipment.iter().find_map(|(eq, &n)| {
                let cap = avail.get(eq.as_str()).copied().unwrap_or(0);
                if n > cap {
                    return None; // Reported above; cannot be levelled away.
                }
                let overlapping: Vec<(u64, u32)> = (0..tasks.len())
                    .filter_map(|j| done[j].map(|(s, e)| (j, s, e)))
                    .filter(|&(_, s, e)| s < end && start < e)
                    .map(|(j, _, e)| (e, tasks[j].equipment.get(eq).copied().unwrap_or(0)))
                    .collect();
                let used: u32 = overlapping.iter().map(|x| x.1).sum();
                (used + n > cap).then(|| {
                    overlapping
                        .iter()
                        .filter(|x| x.1 > 0)
                        .map(|x| x.0)
                        .min()
                        .unwrap_or(end)
                })
            });
            match clash {
                Some(t) if t > start => start = t,
                _ => break,
            }
        }
        let end = start + dur[i];
        for &p in &crew {
            person_free[p] = end;
        }
        done[i] = Some((start, end));
        let mut members: Vec<String> = crew.iter().map(|&p| people[p].id.clone()).collect();
        members.sort();
        members.dedup();
        schedule.push(DrillStep {
            task: tasks[i].id.clone(),
            start_minutes: start as f64 / 60.0,
            end_minutes: end as f64 / 60.0,
            members,
        });
    }
    schedule.sort_by(|a, b| {
        a.start_minutes
            .total_cmp(&b.start_minutes)
            .then(a.task.cmp(&b.task))
    });
    let makespan = schedule.iter().map(|s| s.end_minutes).fold(0.0, f64::max);
    DrillFeasibility {
        scenario: scenario.key(),
        date,
        squadron: squadron.to_string(),
        roles,
        equipment,
        problems,
        schedule,
        makespan_minutes: makespan,
        critical_path_minutes: cp.length().as_secs() as f64 / 60.0,
    }
}

fn augment(
    s: usize,
    slots: &[(usize, Vec<usize>)],
    owner: &mut [Option<usize>],
    seen: &mut [bool],
) -> bool {
    for &p in &slots[s].1 {
        if seen[p] {
            continue;
        }
        seen[p] = true;
        if owner[p].is_none_or(|o| augment(o, slots, owner, seen)) {
            owner[p] = Some(s);
            return true;
        }
    }
    false
}
