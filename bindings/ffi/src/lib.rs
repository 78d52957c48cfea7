//! Muster for other languages: one coarse, stable facade over the library,
//! exported twice from one build — through UniFFI (Kotlin, Swift, Python) and
//! through a C ABI (`include/muster.h`). Both call the same facade functions,
//! so the logic exists once, and the facade only translates: it calls the same
//! library functions as the `muster` command.
//!
//! ```
//! use muster_ffi::{AnalysisOptions, Package, Scenario};
//!
//! let s = Scenario::from_path("builtin:forest-fire.initial-attack".into()).unwrap();
//! let a = s.analyse(AnalysisOptions { runs: 500, seed: 7 }).unwrap();
//! assert!(a.length_secs > 0 && !a.critical_path.is_empty());
//!
//! let p = Package::open("forest-fire.initial-attack".into()).unwrap();
//! let record = muster_scenarios::find("forest-fire.initial-attack")
//!     .and_then(|b| b.file("record-nantang.json"))
//!     .unwrap();
//! let card = p.score("record-nantang.json".into(), record.into()).unwrap();
//! assert_eq!(format!("{:.2}", card.total), "109.83");
//! ```
#![deny(missing_docs)]

mod api;
pub mod c;

pub use api::Scenario;
pub use api::{
    Analysis, AnalysisOptions, CurrencyLine, Diagnostic, HoursLine, HoursQuery, Ledger,
    MonteCarloSummary, MusterError, Package, PlanRequest, PlanSession, PlanSummary,
    ProgressListener, ReplayDifference, ReplayReport, ScenarioCheck, ScoreCard, TaskScore,
    TaskTiming, VerifyReport, check_scenario, plan_period,
};

uniffi::setup_scaffolding!("muster");
