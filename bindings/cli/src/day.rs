//! `muster day`: the main job on embedded defaults.

use clap::Args;
use muster_core::analysis::MonteCarloOptions;

use crate::out::{Failure, Outcome};
use crate::scenario;

#[derive(Debug, Args)]
pub struct DayArgs {
    /// Seed for the simulations.
    #[arg(long, default_value_t = 2021)]
    seed: u64,
}

/// Checks and shows every built-in scenario.
pub fn run(args: DayArgs) -> Outcome {
    let mut failed = false;
    for b in muster_scenarios::builtins() {
        match b.scenario() {
            Ok(s) => {
                let r = scenario::report(
                    &s,
                    &MonteCarloOptions {
                        runs: 10_000,
                        seed: args.seed,
                    },
                );
                scenario::print_report(&r);
                println!();
            }
            Err(d) => {
                crate::out::diagnostics(&d);
                failed = true;
            }
        }
    }
    if failed { Err(Failure::Input) } else { Ok(()) }
}
