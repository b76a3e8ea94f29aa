//! Calls scalar functions: evaluated arguments go to the function's kernel
//! in the `kql-functions` registry.

use crate::error::{runtime, EvalResult};
use crate::expr::{finish, is_scalar};
use crate::value::ColumnarValue;
use crate::EvalContext;
use kql_functions::{Arg, Ctx, ScalarFunc};
use kql_planner::PlanExpr;

/// Calls `func` on evaluated arguments.
pub fn call(
    func: ScalarFunc,
    arg_exprs: &[PlanExpr],
    args: Vec<ColumnarValue>,
    e: &PlanExpr,
    n: usize,
    ctx: &EvalContext,
) -> EvalResult<ColumnarValue> {
    let scalar = args.iter().all(is_scalar) && !func.def().volatile;
    let len = if scalar { 1 } else { n };
    let args: Vec<Arg> = args
        .into_iter()
        .zip(arg_exprs)
        .map(|(a, x)| Arg {
            array: a.into_array(len),
            ty: x.ty,
        })
        .collect();
    let kctx = Ctx {
        len,
        out: e.ty,
        now: ctx.now,
    };
    let out = kql_functions::invoke(func, &kctx, &args)
        .map_err(|m| runtime("kql::eval::function_error", m, e.span))?;
    Ok(finish(out, e.ty, scalar))
}
