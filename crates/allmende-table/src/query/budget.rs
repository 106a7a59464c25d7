//! Memory of values that functions build. DataFusion's memory pool counts what sorts, joins
//! and aggregates keep, but not the arrays a function returns: `repeat('x', 1e9)`, `lpad`, a
//! chain of `||` or a 16 MB literal broadcast over a batch would allocate whatever the query
//! asks for. So every scalar function call is wrapped (an optimizer rule that runs last): before
//! it runs, the size of its result is predicted from its arguments and must fit the query's
//! memory pool and the per-value cap; after it ran, its result must fit the cap.
//! `a || b` is planned as such a function too.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, FieldRef, Int64Type};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{
    DFSchema, ExprSchema, Result as DfResult, ScalarValue, config::ConfigOptions,
};
use datafusion::error::DataFusionError;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryPool};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, LogicalPlan, ReturnFieldArgs, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::analyzer::AnalyzerRule;
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

/// What one function call may build.
#[derive(Clone)]
pub(crate) struct Budget {
    pub pool: Arc<dyn MemoryPool>,
    /// Bytes one result (a batch's column) may have.
    pub max_value_bytes: usize,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("max_value_bytes", &self.max_value_bytes)
            .finish()
    }
}

impl PartialEq for Budget {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.pool, &other.pool) && self.max_value_bytes == other.max_value_bytes
    }
}
impl Eq for Budget {}
impl Hash for Budget {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.pool) as *const () as usize).hash(state);
        self.max_value_bytes.hash(state);
    }
}

fn too_large(what: &str, bytes: usize, cap: usize) -> DataFusionError {
    DataFusionError::ResourcesExhausted(format!(
        "{what} would build {} MB (at most {} MB per column and batch)",
        bytes >> 20,
        cap >> 20
    ))
}

/// A scalar function whose results are measured. It calls itself volatile, so that the
/// optimizer does not fold it into a constant while planning: a folded result is measured for
/// one row and then repeated for every row of every batch by the projection, unmeasured.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Budgeted {
    inner: ScalarUDF,
    signature: Signature,
    budget: Budget,
}

impl Budgeted {
    fn new(inner: ScalarUDF, budget: Budget) -> Self {
        let mut signature = inner.signature().clone();
        signature.volatility = Volatility::Volatile;
        Self {
            inner,
            signature,
            budget,
        }
    }
}

impl Budgeted {
    fn check(&self, predicted: usize) -> DfResult<()> {
        let cap = self.budget.max_value_bytes;
        if predicted > cap {
            return Err(too_large(self.inner.name(), predicted, cap));
        }
        // Room in the query's own pool right now (sorts and aggregates hold the rest).
        let r = MemoryConsumer::new(format!("function {}", self.inner.name()))
            .register(&self.budget.pool);
        r.try_grow(predicted)
    }
}

#[warn(clippy::missing_trait_methods)]
impl ScalarUDFImpl for Budgeted {
    fn name(&self) -> &str {
        self.inner.inner().name()
    }
    fn display_name(&self, args: &[Expr]) -> DfResult<String> {
        #[expect(deprecated)]
        self.inner.inner().display_name(args)
    }
    fn schema_name(&self, args: &[Expr]) -> DfResult<String> {
        self.inner.inner().schema_name(args)
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, arg_types: &[DataType]) -> DfResult<DataType> {
        self.inner.inner().return_type(arg_types)
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DfResult<FieldRef> {
        self.inner.inner().return_field_from_args(args)
    }
    fn is_nullable(&self, args: &[Expr], schema: &dyn ExprSchema) -> bool {
        #[expect(deprecated)]
        self.inner.inner().is_nullable(args, schema)
    }
    fn is_strict(&self) -> bool {
        self.inner.inner().is_strict()
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let predicted = predict(self.inner.inner().name(), &args.args, args.number_rows);
        self.check(predicted)?;
        let out = self.inner.inner().invoke_with_args(args)?;
        let built = match &out {
            ColumnarValue::Array(a) => array_bytes(a.as_ref()),
            ColumnarValue::Scalar(s) => scalar_bytes(s),
        };
        if built > self.budget.max_value_bytes {
            return Err(too_large(
                self.inner.inner().name(),
                built,
                self.budget.max_value_bytes,
            ));
        }
        Ok(out)
    }
    fn with_updated_config(&self, config: &ConfigOptions) -> Option<ScalarUDF> {
        self.inner
            .inner()
            .with_updated_config(config)
            .map(|inner| ScalarUDF::new_from_impl(Budgeted::new(inner, self.budget.clone())))
    }
    fn aliases(&self) -> &[String] {
        self.inner.inner().aliases()
    }
    fn simplify(
        &self,
        args: Vec<Expr>,
        info: &datafusion::logical_expr::simplify::SimplifyContext,
    ) -> DfResult<datafusion::logical_expr::simplify::ExprSimplifyResult> {
        self.inner.inner().simplify(args, info)
    }
    fn preimage(
        &self,
        args: &[Expr],
        lit_expr: &Expr,
        info: &datafusion::logical_expr::simplify::SimplifyContext,
    ) -> DfResult<datafusion::logical_expr::preimage::PreimageResult> {
        self.inner.inner().preimage(args, lit_expr, info)
    }
    fn conditional_arguments<'a>(
        &self,
        args: &'a [Expr],
    ) -> Option<(Vec<&'a Expr>, Vec<&'a Expr>)> {
        self.inner.inner().conditional_arguments(args)
    }
    fn short_circuits(&self) -> bool {
        self.inner.inner().short_circuits()
    }
    fn evaluate_bounds(
        &self,
        input: &[&datafusion::logical_expr::interval_arithmetic::Interval],
    ) -> DfResult<datafusion::logical_expr::interval_arithmetic::Interval> {
        self.inner.inner().evaluate_bounds(input)
    }
    fn propagate_constraints(
        &self,
        interval: &datafusion::logical_expr::interval_arithmetic::Interval,
        inputs: &[&datafusion::logical_expr::interval_arithmetic::Interval],
    ) -> DfResult<Option<Vec<datafusion::logical_expr::interval_arithmetic::Interval>>> {
        self.inner.inner().propagate_constraints(interval, inputs)
    }
    fn struct_field_mapping(
        &self,
        literal_args: &[Option<ScalarValue>],
    ) -> Option<datafusion::logical_expr::StructFieldMapping> {
        self.inner.inner().struct_field_mapping(literal_args)
    }
    fn output_ordering(
        &self,
        inputs: &[datafusion::logical_expr::sort_properties::ExprProperties],
    ) -> DfResult<datafusion::logical_expr::sort_properties::SortProperties> {
        self.inner.inner().output_ordering(inputs)
    }
    fn preserves_lex_ordering(
        &self,
        inputs: &[datafusion::logical_expr::sort_properties::ExprProperties],
    ) -> DfResult<bool> {
        self.inner.inner().preserves_lex_ordering(inputs)
    }
    fn strictly_order_preserving(
        &self,
        inputs: &[datafusion::logical_expr::sort_properties::ExprProperties],
    ) -> DfResult<bool> {
        self.inner.inner().strictly_order_preserving(inputs)
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> DfResult<Vec<DataType>> {
        self.inner.inner().coerce_types(arg_types)
    }
    fn documentation(&self) -> Option<&Documentation> {
        self.inner.inner().documentation()
    }
    fn placement(
        &self,
        args: &[datafusion::logical_expr::ExpressionPlacement],
    ) -> datafusion::logical_expr::ExpressionPlacement {
        self.inner.inner().placement(args)
    }
}

/// Bytes of an array's values (what a function would have had to build).
fn array_bytes(a: &dyn Array) -> usize {
    match a.data_type() {
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            (s.value_offsets()[s.len()] - s.value_offsets()[0]) as usize + 4 * s.len()
        }
        DataType::LargeUtf8 => {
            let s = a.as_string::<i64>();
            (s.value_offsets()[s.len()] - s.value_offsets()[0]) as usize + 8 * s.len()
        }
        DataType::Binary => {
            let s = a.as_binary::<i32>();
            (s.value_offsets()[s.len()] - s.value_offsets()[0]) as usize + 4 * s.len()
        }
        DataType::LargeBinary => {
            let s = a.as_binary::<i64>();
            (s.value_offsets()[s.len()] - s.value_offsets()[0]) as usize + 8 * s.len()
        }
        _ => a.get_array_memory_size(),
    }
}

fn scalar_bytes(s: &ScalarValue) -> usize {
    match s {
        ScalarValue::Utf8(Some(v))
        | ScalarValue::LargeUtf8(Some(v))
        | ScalarValue::Utf8View(Some(v)) => v.len(),
        ScalarValue::Binary(Some(v))
        | ScalarValue::LargeBinary(Some(v))
        | ScalarValue::BinaryView(Some(v)) => v.len(),
        other => other.size(),
    }
}

/// Bytes of an argument as the function sees it: a scalar is repeated for every row.
fn arg_bytes(v: &ColumnarValue, rows: usize) -> usize {
    match v {
        ColumnarValue::Array(a) => array_bytes(a.as_ref()),
        ColumnarValue::Scalar(s) => scalar_bytes(s).saturating_mul(rows.max(1)),
    }
}

/// Byte length of argument `v` in each row (0 when missing).
fn lengths(v: &ColumnarValue, rows: usize) -> Vec<usize> {
    match v {
        ColumnarValue::Scalar(s) => vec![scalar_bytes(s); rows.max(1)],
        ColumnarValue::Array(a) => {
            let a: ArrayRef = match a.data_type() {
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => a.clone(),
                _ => match cast(a, &DataType::Utf8) {
                    Ok(a) => a,
                    Err(_) => return vec![0; a.len()],
                },
            };
            let len = |i: usize, s: &str| if a.is_null(i) { 0 } else { s.len() };
            match a.data_type() {
                DataType::Utf8 => {
                    let s = a.as_string::<i32>();
                    (0..s.len()).map(|i| len(i, s.value(i))).collect()
                }
                DataType::LargeUtf8 => {
                    let s = a.as_string::<i64>();
                    (0..s.len()).map(|i| len(i, s.value(i))).collect()
                }
                _ => {
                    let s = a.as_string_view();
                    (0..s.len()).map(|i| len(i, s.value(i))).collect()
                }
            }
        }
    }
}

/// Integer argument `v` in each row (0 when missing or not a number).
fn integers(v: &ColumnarValue, rows: usize) -> Vec<i64> {
    let a = match v.to_array(rows.max(1)) {
        Ok(a) => a,
        Err(_) => return vec![0; rows.max(1)],
    };
    let a = match cast(&a, &DataType::Int64) {
        Ok(a) => a,
        Err(_) => return vec![0; rows.max(1)],
    };
    let ints = a.as_primitive::<Int64Type>();
    (0..ints.len())
        .map(|i| if ints.is_null(i) { 0 } else { ints.value(i) })
        .collect()
}

/// An upper bound of the bytes `name(args)` builds.
fn predict(name: &str, args: &[ColumnarValue], rows: usize) -> usize {
    let sum: usize = args
        .iter()
        .map(|a| arg_bytes(a, rows))
        .fold(0, usize::saturating_add);
    let count = |n: i64| n.clamp(0, i64::MAX) as usize;
    match (name, args) {
        ("repeat", [s, n, ..]) => lengths(s, rows)
            .iter()
            .zip(integers(n, rows))
            .map(|(l, n)| l.saturating_mul(count(n)))
            .fold(sum, usize::saturating_add),
        ("lpad" | "rpad", [s, n, ..]) => integers(n, rows)
            .iter()
            // Characters up to four bytes each.
            .map(|&n| count(n).saturating_mul(4))
            .fold(arg_bytes(s, rows), usize::saturating_add),
        ("replace", [s, from, to]) => {
            let from = lengths(from, rows);
            let to = lengths(to, rows);
            lengths(s, rows)
                .iter()
                .enumerate()
                .map(|(i, &l)| {
                    let f = from.get(i).copied().unwrap_or(0).max(1);
                    let t = to.get(i).copied().unwrap_or(0);
                    l.saturating_add((l / f + 1).saturating_mul(t))
                })
                .fold(0, usize::saturating_add)
        }
        ("concat_ws", [sep, rest @ ..]) => arg_bytes(sep, rows)
            .saturating_mul(rest.len().max(1))
            .saturating_add(sum),
        ("to_char" | "date_format", [_, format, ..]) => lengths(format, rows)
            .iter()
            // `%Y` → four digits, `%B` → a month name: at most a few times the format.
            .map(|l| l.saturating_mul(8))
            .fold(sum, usize::saturating_add),
        ("translate", _) => sum.saturating_mul(4),
        _ => sum,
    }
}

/// Wraps every scalar function of a plan; runs after DataFusion's own rules.
#[derive(Debug)]
pub(crate) struct BudgetFunctions {
    pub budget: Budget,
}

impl BudgetFunctions {
    fn wrap(&self, plan: LogicalPlan) -> DfResult<Transformed<LogicalPlan>> {
        plan.map_expressions(|e| {
            e.transform_up(|e| match e {
                Expr::ScalarFunction(sf) if !sf.func.inner().is::<Budgeted>() => {
                    let wrapped = ScalarUDF::new_from_impl(Budgeted::new(
                        sf.func.as_ref().clone(),
                        self.budget.clone(),
                    ));
                    Ok(Transformed::yes(Expr::ScalarFunction(
                        ScalarFunction::new_udf(Arc::new(wrapped), sf.args),
                    )))
                }
                other => Ok(Transformed::no(other)),
            })
        })
    }
}

impl AnalyzerRule for BudgetFunctions {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> DfResult<LogicalPlan> {
        plan.transform_up_with_subqueries(|p| self.wrap(p))
            .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "allmende_budget_functions"
    }
}

impl OptimizerRule for BudgetFunctions {
    fn name(&self) -> &str {
        "allmende_budget_functions"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> DfResult<Transformed<LogicalPlan>> {
        self.wrap(plan)
    }
}

/// Plans `a || b` as [`ConcatOp`], so that string concatenation is measured like any function.
#[derive(Debug)]
pub(crate) struct ConcatPlanner;

impl ExprPlanner for ConcatPlanner {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        _schema: &DFSchema,
    ) -> DfResult<PlannerResult<RawBinaryExpr>> {
        use datafusion::sql::sqlparser::ast::BinaryOperator;
        if expr.op != BinaryOperator::StringConcat {
            return Ok(PlannerResult::Original(expr));
        }
        Ok(PlannerResult::Planned(Expr::ScalarFunction(
            ScalarFunction::new_udf(
                Arc::new(ScalarUDF::new_from_impl(ConcatOp::new())),
                vec![expr.left, expr.right],
            ),
        )))
    }
}

/// SQL's `||`: both sides as text, missing if either is missing.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ConcatOp {
    signature: Signature,
}

impl ConcatOp {
    fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ConcatOp {
    fn name(&self) -> &str {
        "||"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> DfResult<Vec<DataType>> {
        Ok(vec![DataType::Utf8; arg_types.len()])
    }
    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let rows = args.number_rows;
        let [a, b] = args.args.as_slice() else {
            return Err(DataFusionError::Plan("|| takes two operands".into()));
        };
        if let (ColumnarValue::Scalar(x), ColumnarValue::Scalar(y)) = (a, b) {
            let s = match (x, y) {
                (ScalarValue::Utf8(Some(x)), ScalarValue::Utf8(Some(y))) => Some(format!("{x}{y}")),
                _ => None,
            };
            return Ok(ColumnarValue::Scalar(ScalarValue::Utf8(s)));
        }
        let a = a.to_array(rows)?;
        let b = b.to_array(rows)?;
        let out = datafusion::arrow::compute::kernels::concat_elements::concat_elements_utf8(
            a.as_string::<i32>(),
            b.as_string::<i32>(),
        )?;
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
    fn schema_name(&self, args: &[Expr]) -> DfResult<String> {
        match args {
            [a, b] => Ok(format!("{} || {}", a.schema_name(), b.schema_name())),
            _ => Ok("||".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};

    #[test]
    fn predictions_bound_what_functions_build() {
        let s = ColumnarValue::Array(Arc::new(StringArray::from(vec![
            Some("ab"),
            None,
            Some("c"),
        ])));
        let n = ColumnarValue::Scalar(ScalarValue::Int64(Some(1_000_000)));
        assert!(predict("repeat", &[s.clone(), n.clone()], 3) >= 3_000_000);
        let ns = ColumnarValue::Array(Arc::new(Int64Array::from(vec![10, -5, 1 << 40])));
        assert!(predict("lpad", &[s.clone(), ns], 3) >= 4 << 40);
        let big = ColumnarValue::Scalar(ScalarValue::Utf8(Some("x".repeat(1 << 20))));
        assert!(predict("upper", std::slice::from_ref(&big), 8192) >= 8 << 30);
        let from = ColumnarValue::Scalar(ScalarValue::Utf8(Some(String::new())));
        assert!(predict("replace", &[s.clone(), from, big], 3) >= 3 << 20);
        // Ordinary calls predict about their input.
        assert!(predict("upper", &[s], 3) < 64);
    }
}
