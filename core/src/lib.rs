//! # muster-core
//!
//! The model and engines of Muster, a library for planning, running and scoring
//! the training and drills of a rescue brigade: drill scenarios as task graphs,
//! their analysis (critical path, PERT, Monte Carlo) and pictures.
//!
//! Core is pure: it reads no file and no clock. Callers hand it text and times.
//!
//! ```
//! use muster_core::{analysis, Format, Scenario};
//!
//! let text = r#"
//! [scenario]
//! id = "demo.relay"
//! version = "1.0.0"
//! hazard = "forest-fire"
//! name = "Pump relay"
//!
//! [[tasks]]
//! id = "pump"
//! name = "Set up the pump"
//! duration = { min = "3m", likely = "5m", max = "9m" }
//!
//! [[tasks]]
//! id = "hose"
//! name = "Lay the hose"
//! after = ["pump"]
//! duration = "10m"
//! "#;
//! let scenario = Scenario::parse("relay.toml", text, Format::Toml).unwrap();
//! let cp = analysis::critical_path(&scenario);
//! assert_eq!(cp.length().to_string(), "15m");
//! let pert = analysis::pert(&scenario, &cp);
//! assert!((pert.mean_secs - 920.0).abs() < 1e-9); // (3 + 4·5 + 9) / 6 min + 10 min
//! ```
#![deny(missing_docs)]

pub mod analysis;
pub mod compete;
mod diag;
mod duration;
mod node;
pub mod render;
mod scenario;
pub mod schedule;
mod schema;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use duration::{DURATION_FORMS, Duration, DurationError};
pub use scenario::{
    Checked, Format, Role, Scenario, ScenarioMeta, Scoring, Task, TaskDuration, TaskGraph,
};
pub use schema::scenario_schema;
mod brigade;
pub mod ledger;
mod record;
mod score;

pub use brigade::{Brigade, BrigadeInfo, Member, SkillLevel, Squadron};
pub use record::{DrillRecord, Penalty, Rating, TaskRun, TaskStatus};
pub use score::{
    Limit, MAX_NOTE_LEN, MAX_NOTES, ScenarioTerms, ScoreCard, ScoreError, ScoreInput, ScoreStatus,
    Scorer, ScorerId, ScorerKind, TaskDetail, TaskScore, TimeBonusScorer, content_hash,
};
