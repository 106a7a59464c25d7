//! Every operator of a query plan yields to the scheduler now and then. DataFusion makes only
//! the scans cooperative; an operator that loops over its input inside one poll — a filter
//! over a cross join that finds nothing to return — then never gives the thread back: the
//! query cannot be cancelled (cancelling drops it at its next yield) and other queries on the
//! same threads wait. Wrapping every node in DataFusion's `CooperativeExec` makes each batch
//! that passes any node spend from tokio's task budget, so a query yields at least every few
//! hundred batches, whatever its plan.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::coop::CooperativeExec;

#[derive(Debug)]
pub(crate) struct YieldEverywhere;

impl PhysicalOptimizerRule for YieldEverywhere {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            if node.is::<CooperativeExec>() {
                return Ok(Transformed::no(node));
            }
            Ok(Transformed::yes(
                Arc::new(CooperativeExec::new(node)) as Arc<dyn ExecutionPlan>
            ))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "allmende_yield_everywhere"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
