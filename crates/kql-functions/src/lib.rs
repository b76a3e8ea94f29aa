//! The KQL scalar function registry.
//!
//! Each function is one [`FunctionDef`]: its name, category, signature,
//! documentation, runnable examples, a typing rule the planner calls
//! (arity, argument types, result type, and the type each argument is
//! converted to), and the Arrow kernel the evaluator runs. Functions live in
//! one module per category (`string`, `datetime`, `dynamic`, `math`, `ip`,
//! `conversion`, `logic`, `encoding`, `series`, `geo`); [`all`] lists them and
//! [`ScalarFunc::from_name`] looks one up. `docs/functions.md` is generated
//! from this registry ([`markdown`]).

pub mod convert;
pub mod json;
mod kernel;
mod typing;

mod compress;
mod conversion;
mod datetime;
mod dynamic;
mod encoding;
mod geo;
mod ip;
mod logic;
mod math;
mod series;
pub mod sketch;
mod special;
mod string;
mod units;
mod xml;

use arrow::array::ArrayRef;
use kql_common::{KqlType, ScalarValue};
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

pub use dynamic::sorted_array_count;
pub use logic::ASSERT_FAILED;
pub use typing::{ArgInfo, Typed};

/// The group a function is listed under in the documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Logic,
    Conversion,
    String,
    Dynamic,
    DateTime,
    Math,
    Ip,
    Encoding,
    Series,
    Sketch,
    Geo,
}

impl Category {
    pub fn title(self) -> &'static str {
        match self {
            Category::Logic => "Logic and null handling",
            Category::Conversion => "Conversion",
            Category::String => "Strings",
            Category::Dynamic => "Dynamic values, arrays and property bags",
            Category::DateTime => "Datetimes and timespans",
            Category::Math => "Math and bits",
            Category::Ip => "IP addresses",
            Category::Encoding => "Encoding and hashing",
            Category::Series => "Series (numeric arrays)",
            Category::Sketch => "Sketches (hll, tdigest)",
            Category::Geo => "Geospatial",
        }
    }
}

/// A query and the output it gives (CSV with a header line), run as a test.
pub struct Example {
    pub query: &'static str,
    pub output: &'static str,
}

/// What a kernel knows about the call besides its arguments.
pub struct Ctx {
    /// Number of rows to produce (every argument array has this length).
    pub len: usize,
    /// The result type the typing rule chose.
    pub out: KqlType,
    /// `now()` of the query, in ticks since the Unix epoch.
    pub now: i64,
}

/// One evaluated argument, already converted to the type the typing rule
/// asked for.
pub struct Arg {
    pub array: ArrayRef,
    pub ty: KqlType,
}

/// A kernel: computes the whole result column; an error is a message for a
/// runtime diagnostic at the call.
pub type Kernel = fn(&Ctx, &[Arg]) -> Result<ArrayRef, String>;

/// A typing rule: checks arity and argument types (and constant arguments
/// such as regular expressions) and returns the result type.
pub type TypingRule = fn(&[ArgInfo]) -> Result<Typed, String>;

/// One scalar function.
pub struct FunctionDef {
    pub name: &'static str,
    pub category: Category,
    pub signature: &'static str,
    pub summary: &'static str,
    /// Extra notes: Kusto differences, local stand-ins.
    pub notes: &'static str,
    pub examples: &'static [Example],
    pub typing: TypingRule,
    pub kernel: Kernel,
    /// Gives a different value on every call (`rand`, `new_guid`): evaluated
    /// per row even when every argument is constant.
    pub volatile: bool,
    /// Internal: not callable by name (property access, indexing).
    pub hidden: bool,
}

impl FunctionDef {
    pub(crate) const fn new(
        name: &'static str,
        category: Category,
        signature: &'static str,
        summary: &'static str,
        typing: TypingRule,
        kernel: Kernel,
    ) -> Self {
        FunctionDef {
            name,
            category,
            signature,
            summary,
            notes: "",
            examples: &[],
            typing,
            kernel,
            volatile: false,
            hidden: false,
        }
    }

    pub(crate) const fn examples(mut self, examples: &'static [Example]) -> Self {
        self.examples = examples;
        self
    }

    pub(crate) const fn notes(mut self, notes: &'static str) -> Self {
        self.notes = notes;
        self
    }

    pub(crate) const fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    pub(crate) const fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }
}

/// A handle to a registered scalar function (cheap to copy and compare).
#[derive(Clone, Copy)]
pub struct ScalarFunc(&'static FunctionDef);

impl ScalarFunc {
    /// Looks a callable function up by its KQL name (names are case-sensitive).
    pub fn from_name(name: &str) -> Option<ScalarFunc> {
        registry()
            .get(name)
            .copied()
            .filter(|f| !f.hidden)
            .map(ScalarFunc)
    }

    /// Looks up an internal function (property access, indexing).
    pub fn internal(name: &str) -> Option<ScalarFunc> {
        registry().get(name).copied().map(ScalarFunc)
    }

    pub fn name(self) -> &'static str {
        self.0.name
    }

    pub fn def(self) -> &'static FunctionDef {
        self.0
    }

    /// Checks the call and returns the result type and argument conversions.
    pub fn typing(self, args: &[ArgInfo]) -> Result<Typed, String> {
        (self.0.typing)(args)
    }

    pub fn is(self, name: &str) -> bool {
        self.0.name == name
    }
}

impl PartialEq for ScalarFunc {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0) || self.0.name == other.0.name
    }
}

impl Eq for ScalarFunc {}

impl std::hash::Hash for ScalarFunc {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.name.hash(state)
    }
}

impl fmt::Debug for ScalarFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.name)
    }
}

/// Every registered function (including internal ones), in category order.
pub fn all() -> &'static [&'static FunctionDef] {
    static ALL: OnceLock<Vec<&'static FunctionDef>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut v: Vec<&'static FunctionDef> = Vec::new();
        v.extend(logic::FUNCTIONS);
        v.extend(conversion::FUNCTIONS);
        v.extend(string::FUNCTIONS);
        v.extend(dynamic::FUNCTIONS);
        v.extend(datetime::FUNCTIONS);
        v.extend(math::FUNCTIONS);
        v.extend(special::FUNCTIONS);
        v.extend(units::FUNCTIONS);
        v.extend(ip::FUNCTIONS);
        v.extend(encoding::FUNCTIONS);
        v.extend(compress::FUNCTIONS);
        v.push(&xml::PARSE_XML);
        v.extend(series::FUNCTIONS);
        v.extend(sketch::FUNCTIONS);
        v.extend(geo::functions());
        v
    })
}

/// Names of the functions users can call, for suggestions.
pub fn names() -> impl Iterator<Item = &'static str> {
    all().iter().filter(|f| !f.hidden).map(|f| f.name)
}

fn registry() -> &'static HashMap<&'static str, &'static FunctionDef> {
    static MAP: OnceLock<HashMap<&'static str, &'static FunctionDef>> = OnceLock::new();
    MAP.get_or_init(|| all().iter().map(|f| (f.name, *f)).collect())
}

/// Runs a function's kernel.
pub fn invoke(func: ScalarFunc, ctx: &Ctx, args: &[Arg]) -> Result<ArrayRef, String> {
    (func.0.kernel)(ctx, args)
}

/// A constant argument's value, for typing rules.
pub fn constant<'a>(args: &'a [ArgInfo], i: usize) -> Option<&'a ScalarValue> {
    args.get(i).and_then(|a| a.value)
}

/// The reference page of every callable function, in Markdown.
pub fn markdown() -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "# Scalar functions\n\n\
         Generated from the function registry (`crates/kql-functions`) by \
         `UPDATE_EXPECT=1 cargo test -p kql-cli --test functions`; do not edit by hand.\n\
         Every example below runs as a test.\n",
    );
    let mut cat = None;
    let mut fs: Vec<&&FunctionDef> = all().iter().filter(|f| !f.hidden).collect();
    fs.sort_by_key(|f| (f.category, f.name));
    let _ = writeln!(out, "\n## Index\n");
    for c in [
        Category::Logic,
        Category::Conversion,
        Category::String,
        Category::Dynamic,
        Category::DateTime,
        Category::Math,
        Category::Ip,
        Category::Encoding,
        Category::Series,
        Category::Sketch,
        Category::Geo,
    ] {
        let names: Vec<String> = fs
            .iter()
            .filter(|f| f.category == c)
            .map(|f| format!("`{}`", f.name))
            .collect();
        let _ = writeln!(out, "- **{}**: {}", c.title(), names.join(", "));
    }
    for f in fs {
        if cat != Some(f.category) {
            cat = Some(f.category);
            let _ = writeln!(out, "\n## {}\n", f.category.title());
        }
        let _ = writeln!(out, "### {}\n", f.name);
        let _ = writeln!(out, "`{}`\n", f.signature);
        let _ = writeln!(out, "{}\n", f.summary);
        if !f.notes.is_empty() {
            let _ = writeln!(out, "{}\n", f.notes);
        }
        for ex in f.examples {
            let _ = writeln!(
                out,
                "```kql\n{}\n```\n\n```\n{}\n```\n",
                ex.query.trim_end(),
                ex.output.trim_end()
            );
        }
    }
    out
}
