//! Special functions: the error function, the gamma function and the beta
//! distribution (density, cumulative distribution and its inverse).

use crate::kernel::{real_to_real, reals, rows_ok, val};
use crate::typing::{sig, P};
use crate::{Category, Example, FunctionDef};
use kql_common::{KqlType, ScalarValue};

const C: Category = Category::Math;
use KqlType::Real;

pub static FUNCTIONS: &[&FunctionDef] = &[
    &ERF, &ERFC, &GAMMA, &LOGGAMMA, &BETA_CDF, &BETA_PDF, &BETA_INV,
];

static ERF: FunctionDef = FunctionDef::new(
    "erf",
    C,
    "erf(x: real): real",
    "The error function of x.",
    |a| sig("erf", a, 1, &[P::Real], Real),
    |_, args| Ok(real_to_real(reals(args, 0)?, |x| Some(libm::erf(x)))),
)
.examples(&[Example {
    query: "range x from -3 to 3 step 1\n| extend erf_x = erf(x)",
    output: "x,erf_x\n-3,-0.9999779095030014\n-2,-0.9953222650189527\n-1,-0.8427007929497149\n0,0.0\n1,0.8427007929497149\n2,0.9953222650189527\n3,0.9999779095030014",
}]);

static ERFC: FunctionDef = FunctionDef::new(
    "erfc",
    C,
    "erfc(x: real): real",
    "The complementary error function of x, 1 - erf(x).",
    |a| sig("erfc", a, 1, &[P::Real], Real),
    |_, args| Ok(real_to_real(reals(args, 0)?, |x| Some(libm::erfc(x)))),
)
.examples(&[Example {
    query: "range x from -1 to 3 step 2\n| extend erfc_x = erfc(x)",
    output: "x,erfc_x\n-1,1.8427007929497148\n1,0.15729920705028513\n3,0.000022090496998585438",
}]);

static GAMMA: FunctionDef = FunctionDef::new(
    "gamma",
    C,
    "gamma(x: real): real",
    "The gamma function of x (for whole x > 0, (x - 1)!).",
    |a| sig("gamma", a, 1, &[P::Real], Real),
    |_, args| Ok(real_to_real(reals(args, 0)?, |x| Some(libm::tgamma(x)))),
)
.examples(&[Example {
    query: "print a = gamma(5), b = gamma(0.5), c = gamma(real(null))",
    output: "a,b,c\n24.0,1.7724538509055159,",
}]);

static LOGGAMMA: FunctionDef = FunctionDef::new(
    "loggamma",
    C,
    "loggamma(x: real): real",
    "The natural logarithm of the absolute value of the gamma function of x.",
    |a| sig("loggamma", a, 1, &[P::Real], Real),
    |_, args| Ok(real_to_real(reals(args, 0)?, |x| Some(libm::lgamma(x)))),
)
.examples(&[Example {
    query: "print a = loggamma(5), b = loggamma(1)",
    output: "a,b\n3.1780538303479458,0.0",
}]);

/// ln B(a, b).
fn ln_beta(a: f64, b: f64) -> f64 {
    libm::lgamma(a) + libm::lgamma(b) - libm::lgamma(a + b)
}

/// The continued fraction of the regularized incomplete beta function
/// (modified Lentz's method).
fn beta_cf(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=10_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function I_x(a, b).
pub fn beta_cdf(x: f64, a: f64, b: f64) -> f64 {
    if !(0.0..=1.0).contains(&x) || a <= 0.0 || b <= 0.0 || x.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 || x == 1.0 {
        return x;
    }
    let front = (a * x.ln() + b * (1.0 - x).ln() - ln_beta(a, b)).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(x, a, b) / a
    } else {
        1.0 - front * beta_cf(1.0 - x, b, a) / b
    }
}

fn beta_pdf(x: f64, a: f64, b: f64) -> f64 {
    if !(0.0..=1.0).contains(&x) || a <= 0.0 || b <= 0.0 || x.is_nan() {
        return f64::NAN;
    }
    if (x == 0.0 && a < 1.0) || (x == 1.0 && b < 1.0) {
        return f64::INFINITY;
    }
    ((a - 1.0) * x.ln() + (b - 1.0) * (1.0 - x).ln() - ln_beta(a, b)).exp()
}

/// The x where `beta_cdf(x, a, b) = p`, by bisection refined with Newton
/// steps.
fn beta_inv(p: f64, a: f64, b: f64) -> Option<f64> {
    if !(0.0..=1.0).contains(&p) || p.is_nan() {
        return None;
    }
    if a <= 0.0 || b <= 0.0 || a.is_nan() || b.is_nan() {
        return Some(f64::NAN);
    }
    if p == 0.0 || p == 1.0 {
        return Some(p);
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut x = 0.5;
    for _ in 0..200 {
        let f = beta_cdf(x, a, b) - p;
        if f.abs() < 1e-15 {
            break;
        }
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let d = beta_pdf(x, a, b);
        let newton = x - f / d;
        x = if d > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            (lo + hi) / 2.0
        };
        if hi - lo < 1e-16 {
            break;
        }
    }
    Some(x)
}

fn beta_args(r: &[ScalarValue]) -> Option<(f64, f64, f64)> {
    Some((val::real(&r[0])?, val::real(&r[1])?, val::real(&r[2])?))
}

fn real_or_null(v: Option<f64>) -> ScalarValue {
    v.map_or(ScalarValue::Null(Real), ScalarValue::Real)
}

static BETA_CDF: FunctionDef = FunctionDef::new(
    "beta_cdf",
    C,
    "beta_cdf(x: real, alpha: real, beta: real): real",
    "The cumulative beta distribution function: the probability that a value drawn from the beta distribution with parameters alpha and beta is at most x. NaN when x is outside [0, 1] or a parameter is not positive.",
    |a| sig("beta_cdf", a, 3, &[P::Real, P::Real, P::Real], Real),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            real_or_null(beta_args(r).map(|(x, a, b)| beta_cdf(x, a, b)))
        })
    },
)
.examples(&[Example {
    query: "datatable(x: double, alpha: double, beta: double) [0.9, 10.0, 20.0, 1.5, 10.0, 20.0, 0.1, -1.0, 20.0]\n| extend b = beta_cdf(x, alpha, beta)",
    output: "x,alpha,beta,b\n0.9,10.0,20.0,0.9999999999999593\n1.5,10.0,20.0,NaN\n0.1,-1.0,20.0,NaN",
}]);

static BETA_PDF: FunctionDef = FunctionDef::new(
    "beta_pdf",
    C,
    "beta_pdf(x: real, alpha: real, beta: real): real",
    "The density of the beta distribution with parameters alpha and beta at x. NaN when x is outside [0, 1] or a parameter is not positive.",
    |a| sig("beta_pdf", a, 3, &[P::Real, P::Real, P::Real], Real),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            real_or_null(beta_args(r).map(|(x, a, b)| beta_pdf(x, a, b)))
        })
    },
)
.examples(&[Example {
    query: "datatable(x: double, alpha: double, beta: double) [0.5, 10.0, 20.0, -10.0, 10.0, 20.0]\n| extend r = beta_pdf(x, alpha, beta)",
    output: "x,alpha,beta,r\n0.5,10.0,20.0,0.7461760193109549\n-10.0,10.0,20.0,NaN",
}]);

static BETA_INV: FunctionDef = FunctionDef::new(
    "beta_inv",
    C,
    "beta_inv(probability: real, alpha: real, beta: real): real",
    "The inverse of beta_cdf: the x where beta_cdf(x, alpha, beta) is the probability. Null when the probability is outside [0, 1]; NaN when a parameter is not positive.",
    |a| sig("beta_inv", a, 3, &[P::Real, P::Real, P::Real], Real),
    |ctx, args| {
        rows_ok(ctx, args, |r| {
            real_or_null(beta_args(r).and_then(|(p, a, b)| beta_inv(p, a, b)))
        })
    },
)
.examples(&[Example {
    query: "datatable(p: double, alpha: double, beta: double) [0.1, 10.0, 20.0, 1.5, 10.0, 20.0, 0.1, -1.0, 20.0]\n| extend b = round(beta_inv(p, alpha, beta), 12)",
    output: "p,alpha,beta,b\n0.1,10.0,20.0,0.226415022389\n1.5,10.0,20.0,\n0.1,-1.0,20.0,NaN",
}]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta_functions_agree_with_kusto() {
        assert!((beta_cdf(0.9, 10.0, 20.0) - 0.999999999999959).abs() < 1e-13);
        assert!((beta_pdf(0.5, 10.0, 20.0) - 0.746176019310951).abs() < 1e-12);
        let x = beta_inv(0.1, 10.0, 20.0).unwrap_or(f64::NAN);
        assert!((x - 0.226415022388749).abs() < 1e-12);
        assert!((beta_cdf(x, 10.0, 20.0) - 0.1).abs() < 1e-14);
        // Symmetric case: I_0.5(a, a) = 0.5.
        assert!((beta_cdf(0.5, 3.0, 3.0) - 0.5).abs() < 1e-15);
        assert_eq!(beta_cdf(0.0, 2.0, 2.0), 0.0);
        assert!(beta_cdf(0.5, 0.0, 2.0).is_nan());
        assert_eq!(beta_inv(-0.1, 2.0, 2.0), None);
    }
}
