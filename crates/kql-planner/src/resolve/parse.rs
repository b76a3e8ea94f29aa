//! `parse` and `parse-where`: the pattern becomes one regular expression
//! with a named group per extracted column.

use super::*;

/// The regex that matches a value of a column type in the strict kinds.
fn type_pattern(ty: KqlType, last: bool) -> &'static str {
    match ty {
        KqlType::Int | KqlType::Long => r"(-?\d+)",
        KqlType::Real | KqlType::Decimal => r"(-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)",
        KqlType::Bool => r"((?i:true|false))",
        _ if last => "(.*)",
        _ => "(.*?)",
    }
}

impl Planner<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn parse_op(
        &mut self,
        input: LogicalPlan,
        kind: ast::ParseKind,
        flags: Option<&str>,
        filter: bool,
        expr: &ast::Expr,
        parts: &[ast::ParsePart],
    ) -> R<LogicalPlan> {
        let schema = input.schema();
        let value = self.expr(expr, &schema)?.cast(KqlType::String);
        let mut regex = String::new();
        if let Some(f) = flags {
            if kind != ast::ParseKind::Regex {
                return Err(err(
                    "kql::plan::bad_parse",
                    "regex flags need `kind=regex`",
                    expr.span,
                ));
            }
            if !f.chars().all(|c| matches!(c, 'U' | 'i' | 'm' | 's')) {
                return Err(err(
                    "kql::plan::bad_parse",
                    format!("unknown regex flags `{f}`"),
                    expr.span,
                )
                .with_help("flags are U (ungreedy), i (ignore case), m (multi-line), s (dot matches newline)"));
            }
            regex.push_str(&format!("(?{f})"));
        }
        let strict = kind != ast::ParseKind::Relaxed;
        if kind != ast::ParseKind::Regex {
            regex.push_str("(?s)^");
        }
        let last_col = parts
            .iter()
            .rposition(|p| matches!(p, ast::ParsePart::Column(..)));
        let mut columns: Vec<(String, KqlType)> = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            match part {
                ast::ParsePart::Text(t) if kind == ast::ParseKind::Regex => {
                    regex.push_str("(?:");
                    regex.push_str(t);
                    regex.push(')');
                }
                ast::ParsePart::Text(t) => regex.push_str(&regex::escape(t)),
                ast::ParsePart::Star => regex.push_str(".*?"),
                ast::ParsePart::Column(id, ty) => {
                    let ty = ty.unwrap_or(KqlType::String);
                    if columns.iter().any(|(n, _)| *n == id.name) {
                        return Err(err(
                            "kql::plan::duplicate_column",
                            format!("`{}` is extracted twice", id.name),
                            id.span,
                        ));
                    }
                    // The last column of a simple pattern takes the rest of
                    // the text; a string column is greedy in regex mode.
                    let greedy = (Some(i) == last_col
                        && kind != ast::ParseKind::Regex
                        && i + 1 == parts.len())
                        || (kind == ast::ParseKind::Regex
                            && matches!(type_pattern(ty, false), "(.*?)"));
                    let group = if strict || matches!(ty, KqlType::String) {
                        type_pattern(ty, greedy).to_string()
                    } else {
                        // Relaxed: a value of the type if there is one
                        // here, else any text (which then converts to
                        // null).
                        let any = if greedy { ".*" } else { ".*?" };
                        match type_pattern(ty, greedy) {
                            "(.*)" | "(.*?)" => format!("({any})"),
                            p => format!("({}|{any})", &p[1..p.len() - 1]),
                        }
                    };
                    regex.push_str(&format!("(?P<c{}>", columns.len()));
                    regex.push_str(group.strip_prefix('(').unwrap_or(&group));
                    columns.push((id.name.clone(), ty));
                }
            }
        }
        if kind != ast::ParseKind::Regex {
            regex.push('$');
        }
        if let Err(e) = regex::Regex::new(&regex) {
            return Err(err(
                "kql::plan::bad_parse",
                format!("the parse pattern is not a valid regular expression: {e}"),
                expr.span,
            ));
        }
        if columns.is_empty() {
            return Err(err(
                "kql::plan::bad_parse",
                "the parse pattern extracts no column",
                expr.span,
            )
            .with_help("name a column in the pattern: `parse Text with \"id=\" Id: long *`"));
        }
        Ok(LogicalPlan::Parse(Parse {
            input: Box::new(input),
            expr: value,
            regex,
            columns,
            strict,
            filter,
        }))
    }
}
