//! Every scenario of every lab, evaluated on anything a run can observe: checks and hints
//! (built while evaluating) come out, whatever the observation.

use proptest::prelude::*;

use shmlab_checker::catalogue;
use shmlab_checker::model::{Lab, Observation};
use shmlab_checker::scenario::{evaluate, Scenario, Verdict};

use super::{check, gen};

/// A scenario of `lab`, picked by the case, and an observation made for it.
pub fn scenario_and_observation(lab: Lab) -> impl Strategy<Value = (Scenario, Observation)> {
    let n = catalogue::scenarios(lab).len();
    (0..n).prop_flat_map(move |i| {
        let s = catalogue::scenarios(lab).swap_remove(i);
        (Just(s.clone()), gen::observation(&s))
    })
}

fn evaluates((s, obs): (Scenario, Observation)) -> Result<(), TestCaseError> {
    let e = evaluate(&s, &obs);
    prop_assert!(matches!(e.verdict, Verdict::Passed | Verdict::Failed));
    Ok(())
}

macro_rules! every_lab {
    ($($name:ident: $lab:expr,)*) => {$(
        #[test]
        fn $name() {
            // As many cases for each scenario, whatever the lab's number of them.
            let cases = 64 * catalogue::scenarios($lab).len() as u32;
            check(stringify!($name), cases, || scenario_and_observation($lab), evaluates);
        }
    )*};
}

every_lab! {
    create_evaluates_any_observation_without_panic: Lab::Create,
    access_evaluates_any_observation_without_panic: Lab::Access,
    attach_evaluates_any_observation_without_panic: Lab::Attach,
    detach_evaluates_any_observation_without_panic: Lab::Detach,
    remove_evaluates_any_observation_without_panic: Lab::Remove,
    stat_evaluates_any_observation_without_panic: Lab::Stat,
    set_evaluates_any_observation_without_panic: Lab::Set,
    memo_evaluates_any_observation_without_panic: Lab::Memo,
    share_evaluates_any_observation_without_panic: Lab::Share,
}

#[test]
fn every_lab_is_covered() {
    assert_eq!(Lab::ALL.len(), 9, "add the new lab to every_lab! above");
}
