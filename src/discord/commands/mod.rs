//! Slash commands, one file per group. Doc comments are the descriptions users see.

mod daily;
mod group;
mod help;
mod interview;
mod me;

pub use interview::skip_event;
pub use me::forget_click;

use std::sync::Arc;

use super::data::{Data, Error};

pub fn all() -> Vec<poise::Command<Arc<Data>, Error>> {
    vec![
        interview::interview(),
        daily::daily(),
        group::group(),
        me::history(),
        me::stats(),
        me::export(),
        me::forget(),
        help::help(),
    ]
}

/// The 16 Leadership Principles as a choice list.
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum LpChoice {
    #[name = "Customer Obsession"]
    CustomerObsession,
    #[name = "Ownership"]
    Ownership,
    #[name = "Invent and Simplify"]
    InventAndSimplify,
    #[name = "Are Right, A Lot"]
    AreRightALot,
    #[name = "Learn and Be Curious"]
    LearnAndBeCurious,
    #[name = "Hire and Develop the Best"]
    HireAndDevelopTheBest,
    #[name = "Insist on the Highest Standards"]
    InsistOnTheHighestStandards,
    #[name = "Think Big"]
    ThinkBig,
    #[name = "Bias for Action"]
    BiasForAction,
    #[name = "Frugality"]
    Frugality,
    #[name = "Earn Trust"]
    EarnTrust,
    #[name = "Dive Deep"]
    DiveDeep,
    #[name = "Have Backbone; Disagree and Commit"]
    HaveBackbone,
    #[name = "Deliver Results"]
    DeliverResults,
    #[name = "Strive to be Earth's Best Employer"]
    EarthsBestEmployer,
    #[name = "Success and Scale Bring Broad Responsibility"]
    BroadResponsibility,
}

impl LpChoice {
    /// The name the bank resolves to a principle.
    pub fn name(self) -> &'static str {
        use poise::ChoiceParameter;
        ChoiceParameter::name(&self)
    }
}
