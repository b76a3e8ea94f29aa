//! Unit conversion: `convert_angle`, `convert_energy`, `convert_force`,
//! `convert_length`, `convert_mass`, `convert_speed`,
//! `convert_temperature` and `convert_volume`, with Kusto's unit names.
//! Each unit is a factor to the quantity's base unit (temperatures and
//! tilt are not linear and convert through their own formulas).

use crate::kernel::{rows_ok, val};
use crate::typing::{sig, P};
use crate::{Category, Example, FunctionDef};
use kql_common::{KqlType, ScalarValue};
use std::f64::consts::PI;

const C: Category = Category::Math;

pub static FUNCTIONS: &[&FunctionDef] = &[
    &CONVERT_ANGLE,
    &CONVERT_ENERGY,
    &CONVERT_FORCE,
    &CONVERT_LENGTH,
    &CONVERT_MASS,
    &CONVERT_SPEED,
    &CONVERT_TEMPERATURE,
    &CONVERT_VOLUME,
];

const DEG_PER_RAD: f64 = 180.0 / PI;

/// Angles, in degrees (`Tilt` is the sine of the angle).
const ANGLE: &[(&str, f64)] = &[
    ("Arcminute", 1.0 / 60.0),
    ("Arcsecond", 1.0 / 3600.0),
    ("Centiradian", 1e-2 * DEG_PER_RAD),
    ("Deciradian", 1e-1 * DEG_PER_RAD),
    ("Degree", 1.0),
    ("Gradian", 0.9),
    ("Microdegree", 1e-6),
    ("Microradian", 1e-6 * DEG_PER_RAD),
    ("Millidegree", 1e-3),
    ("Milliradian", 1e-3 * DEG_PER_RAD),
    ("Nanodegree", 1e-9),
    ("Nanoradian", 1e-9 * DEG_PER_RAD),
    ("NatoMil", 360.0 / 6400.0),
    ("Radian", DEG_PER_RAD),
    ("Revolution", 360.0),
    ("Tilt", f64::NAN),
];

const BTU: f64 = 1055.05585262;
const EV: f64 = 1.602176634e-19;
const THERM_EC: f64 = 1.05505585262e8;
const THERM_IMPERIAL: f64 = 1.05505585257348e8;
const THERM_US: f64 = 1.054804e8;

/// Energies, in joules.
const ENERGY: &[(&str, f64)] = &[
    ("BritishThermalUnit", BTU),
    ("Calorie", 4.184),
    ("DecathermEc", 10.0 * THERM_EC),
    ("DecathermImperial", 10.0 * THERM_IMPERIAL),
    ("DecathermUs", 10.0 * THERM_US),
    ("ElectronVolt", EV),
    ("Erg", 1e-7),
    ("FootPound", 1.355817948),
    ("GigabritishThermalUnit", 1e9 * BTU),
    ("GigaelectronVolt", 1e9 * EV),
    ("Gigajoule", 1e9),
    ("GigawattDay", 1e9 * 86400.0),
    ("GigawattHour", 1e9 * 3600.0),
    ("HorsepowerHour", 2.6845195377e6),
    ("Joule", 1.0),
    ("KilobritishThermalUnit", 1e3 * BTU),
    ("Kilocalorie", 4184.0),
    ("KiloelectronVolt", 1e3 * EV),
    ("Kilojoule", 1e3),
    ("KilowattDay", 1e3 * 86400.0),
    ("KilowattHour", 1e3 * 3600.0),
    ("MegabritishThermalUnit", 1e6 * BTU),
    ("Megacalorie", 4.184e6),
    ("MegaelectronVolt", 1e6 * EV),
    ("Megajoule", 1e6),
    ("MegawattDay", 1e6 * 86400.0),
    ("MegawattHour", 1e6 * 3600.0),
    ("Millijoule", 1e-3),
    ("TeraelectronVolt", 1e12 * EV),
    ("TerawattDay", 1e12 * 86400.0),
    ("TerawattHour", 1e12 * 3600.0),
    ("ThermEc", THERM_EC),
    ("ThermImperial", THERM_IMPERIAL),
    ("ThermUs", THERM_US),
    ("WattDay", 86400.0),
    ("WattHour", 3600.0),
];

const G0: f64 = 9.80665;
const LBF: f64 = 4.4482216152605;

/// Forces, in newtons.
const FORCE: &[(&str, f64)] = &[
    ("Decanewton", 10.0),
    ("Dyn", 1e-5),
    ("KilogramForce", G0),
    ("Kilonewton", 1e3),
    ("KiloPond", G0),
    ("KilopoundForce", 1e3 * LBF),
    ("Meganewton", 1e6),
    ("Micronewton", 1e-6),
    ("Millinewton", 1e-3),
    ("Newton", 1.0),
    ("OunceForce", LBF / 16.0),
    ("Poundal", 0.138254954376),
    ("PoundForce", LBF),
    ("ShortTonForce", 2000.0 * LBF),
    ("TonneForce", 1000.0 * G0),
];

const INCH: f64 = 0.0254;
const FOOT: f64 = 0.3048;
const US_SURVEY_FOOT: f64 = 1200.0 / 3937.0;
const LIGHT_YEAR: f64 = 9.46073047258e15;
const PARSEC: f64 = 3.08567758128e16;

/// Lengths, in meters.
const LENGTH: &[(&str, f64)] = &[
    ("Angstrom", 1e-10),
    ("AstronomicalUnit", 1.4959787070e11),
    ("Centimeter", 1e-2),
    ("Chain", 20.1168),
    ("DataMile", 1828.8),
    ("Decameter", 10.0),
    ("Decimeter", 0.1),
    ("DtpPica", INCH / 6.0),
    ("DtpPoint", INCH / 72.0),
    ("Fathom", 1.8288),
    ("Foot", FOOT),
    ("Hand", 0.1016),
    ("Hectometer", 100.0),
    ("Inch", INCH),
    ("KilolightYear", 1e3 * LIGHT_YEAR),
    ("Kilometer", 1e3),
    ("Kiloparsec", 1e3 * PARSEC),
    ("LightYear", LIGHT_YEAR),
    ("MegalightYear", 1e6 * LIGHT_YEAR),
    ("Megaparsec", 1e6 * PARSEC),
    ("Meter", 1.0),
    ("Microinch", 1e-6 * INCH),
    ("Micrometer", 1e-6),
    ("Mil", 1e-3 * INCH),
    ("Mile", 1609.344),
    ("Millimeter", 1e-3),
    ("Nanometer", 1e-9),
    ("NauticalMile", 1852.0),
    ("Parsec", PARSEC),
    ("PrinterPica", 12.0 * INCH / 72.27),
    ("PrinterPoint", INCH / 72.27),
    ("Shackle", 27.432),
    ("SolarRadius", 6.95510000e8),
    ("Twip", INCH / 1440.0),
    ("UsSurveyFoot", US_SURVEY_FOOT),
    ("Yard", 0.9144),
];

const POUND: f64 = 0.45359237;

/// Masses, in kilograms.
const MASS: &[(&str, f64)] = &[
    ("Centigram", 1e-5),
    ("Decagram", 1e-2),
    ("Decigram", 1e-4),
    ("EarthMass", 5.9722e24),
    ("Grain", 6.479891e-5),
    ("Gram", 1e-3),
    ("Hectogram", 0.1),
    ("Kilogram", 1.0),
    ("Kilopound", 1e3 * POUND),
    ("Kilotonne", 1e6),
    ("LongHundredweight", 112.0 * POUND),
    ("LongTon", 2240.0 * POUND),
    ("Megapound", 1e6 * POUND),
    ("Megatonne", 1e9),
    ("Microgram", 1e-9),
    ("Milligram", 1e-6),
    ("Nanogram", 1e-12),
    ("Ounce", POUND / 16.0),
    ("Pound", POUND),
    ("ShortHundredweight", 100.0 * POUND),
    ("ShortTon", 2000.0 * POUND),
    ("Slug", 14.593902937206364),
    ("SolarMass", 1.98947e30),
    ("Stone", 14.0 * POUND),
    ("Tonne", 1e3),
];

const H: f64 = 3600.0;
const MIN: f64 = 60.0;

/// Speeds, in meters per second.
const SPEED: &[(&str, f64)] = &[
    ("CentimeterPerHour", 1e-2 / H),
    ("CentimeterPerMinute", 1e-2 / MIN),
    ("CentimeterPerSecond", 1e-2),
    ("DecimeterPerMinute", 0.1 / MIN),
    ("DecimeterPerSecond", 0.1),
    ("FootPerHour", FOOT / H),
    ("FootPerMinute", FOOT / MIN),
    ("FootPerSecond", FOOT),
    ("InchPerHour", INCH / H),
    ("InchPerMinute", INCH / MIN),
    ("InchPerSecond", INCH),
    ("KilometerPerHour", 1e3 / H),
    ("KilometerPerMinute", 1e3 / MIN),
    ("KilometerPerSecond", 1e3),
    ("Knot", 1852.0 / H),
    ("MeterPerHour", 1.0 / H),
    ("MeterPerMinute", 1.0 / MIN),
    ("MeterPerSecond", 1.0),
    ("MicrometerPerMinute", 1e-6 / MIN),
    ("MicrometerPerSecond", 1e-6),
    ("MilePerHour", 1609.344 / H),
    ("MillimeterPerHour", 1e-3 / H),
    ("MillimeterPerMinute", 1e-3 / MIN),
    ("MillimeterPerSecond", 1e-3),
    ("NanometerPerMinute", 1e-9 / MIN),
    ("NanometerPerSecond", 1e-9),
    ("UsSurveyFootPerHour", US_SURVEY_FOOT / H),
    ("UsSurveyFootPerMinute", US_SURVEY_FOOT / MIN),
    ("UsSurveyFootPerSecond", US_SURVEY_FOOT),
    ("YardPerHour", 0.9144 / H),
    ("YardPerMinute", 0.9144 / MIN),
    ("YardPerSecond", 0.9144),
];

const US_GALLON: f64 = 0.003785411784;
const IMPERIAL_GALLON: f64 = 0.00454609;
const CUBIC_FOOT: f64 = 0.028316846592;

/// Volumes, in cubic meters.
const VOLUME: &[(&str, f64)] = &[
    ("AcreFoot", 1.0 / 0.000810714),
    ("AuTablespoon", 2e-5),
    ("BoardFoot", CUBIC_FOOT / 12.0),
    ("Centiliter", 1e-5),
    ("CubicCentimeter", 1e-6),
    ("CubicDecimeter", 1e-3),
    ("CubicFoot", CUBIC_FOOT),
    ("CubicHectometer", 1e6),
    ("CubicInch", 1.6387064e-5),
    ("CubicKilometer", 1e9),
    ("CubicMeter", 1.0),
    ("CubicMicrometer", 1e-18),
    ("CubicMile", 4.16818182544058e9),
    ("CubicMillimeter", 1e-9),
    ("CubicYard", 0.764554857984),
    ("Decaliter", 1e-2),
    ("DecausGallon", 10.0 * US_GALLON),
    ("Deciliter", 1e-4),
    ("DeciusGallon", 0.1 * US_GALLON),
    ("HectocubicFoot", 100.0 * CUBIC_FOOT),
    ("HectocubicMeter", 100.0),
    ("Hectoliter", 0.1),
    ("HectousGallon", 100.0 * US_GALLON),
    ("ImperialBeerBarrel", 0.16365924),
    ("ImperialGallon", IMPERIAL_GALLON),
    ("ImperialOunce", IMPERIAL_GALLON / 160.0),
    ("ImperialPint", IMPERIAL_GALLON / 8.0),
    ("KilocubicFoot", 1e3 * CUBIC_FOOT),
    ("KilocubicMeter", 1e3),
    ("KiloimperialGallon", 1e3 * IMPERIAL_GALLON),
    ("Kiloliter", 1.0),
    ("KilousGallon", 1e3 * US_GALLON),
    ("Liter", 1e-3),
    ("MegacubicFoot", 1e6 * CUBIC_FOOT),
    ("MegaimperialGallon", 1e6 * IMPERIAL_GALLON),
    ("Megaliter", 1e3),
    ("MegausGallon", 1e6 * US_GALLON),
    ("MetricCup", 2.5e-4),
    ("MetricTeaspoon", 5e-6),
    ("Microliter", 1e-9),
    ("Milliliter", 1e-6),
    ("OilBarrel", 42.0 * US_GALLON),
    ("UkTablespoon", 1.5e-5),
    ("UsBeerBarrel", 31.0 * US_GALLON),
    ("UsCustomaryCup", US_GALLON / 16.0),
    ("UsGallon", US_GALLON),
    ("UsLegalCup", 2.4e-4),
    ("UsOunce", US_GALLON / 128.0),
    ("UsPint", US_GALLON / 8.0),
    ("UsQuart", US_GALLON / 4.0),
    ("UsTablespoon", US_GALLON / 256.0),
    ("UsTeaspoon", US_GALLON / 768.0),
];

/// A unit's factor: the exact name first, then ignoring case.
fn factor(units: &[(&str, f64)], name: &str) -> Option<f64> {
    units
        .iter()
        .find(|(n, _)| *n == name)
        .or_else(|| units.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)))
        .map(|(_, f)| *f)
}

fn linear(units: &[(&str, f64)], v: f64, from: &str, to: &str) -> Option<f64> {
    let (a, b) = (factor(units, from)?, factor(units, to)?);
    if a == b {
        return Some(v);
    }
    Some(v * a / b)
}

fn angle(v: f64, from: &str, to: &str) -> Option<f64> {
    let (a, b) = (factor(ANGLE, from)?, factor(ANGLE, to)?);
    let deg = if a.is_nan() {
        v.asin() * DEG_PER_RAD
    } else {
        v * a
    };
    Some(if b.is_nan() {
        (deg / DEG_PER_RAD).sin()
    } else if a == b {
        v
    } else {
        deg / b
    })
}

const TEMPERATURES: &[&str] = &[
    "DegreeCelsius",
    "DegreeDelisle",
    "DegreeFahrenheit",
    "DegreeNewton",
    "DegreeRankine",
    "DegreeReaumur",
    "DegreeRoemer",
    "Kelvin",
    "MillidegreeCelsius",
    "SolarTemperature",
];

fn temperature_unit(name: &str) -> Option<&'static str> {
    TEMPERATURES
        .iter()
        .find(|n| **n == name)
        .or_else(|| TEMPERATURES.iter().find(|n| n.eq_ignore_ascii_case(name)))
        .copied()
}

fn temperature(v: f64, from: &str, to: &str) -> Option<f64> {
    let (from, to) = (temperature_unit(from)?, temperature_unit(to)?);
    if from == to {
        return Some(v);
    }
    let c = match from {
        "DegreeCelsius" => v,
        "DegreeDelisle" => 100.0 - v * 2.0 / 3.0,
        "DegreeFahrenheit" => (v - 32.0) * 5.0 / 9.0,
        "DegreeNewton" => v * 100.0 / 33.0,
        "DegreeRankine" => (v - 491.67) * 5.0 / 9.0,
        "DegreeReaumur" => v * 5.0 / 4.0,
        "DegreeRoemer" => (v - 7.5) * 40.0 / 21.0,
        "MillidegreeCelsius" => v / 1000.0,
        "SolarTemperature" => v * 5778.0 - 273.15,
        _ => v - 273.15,
    };
    Some(match to {
        "DegreeCelsius" => c,
        "DegreeDelisle" => (100.0 - c) * 3.0 / 2.0,
        "DegreeFahrenheit" => c * 9.0 / 5.0 + 32.0,
        "DegreeNewton" => c * 33.0 / 100.0,
        "DegreeRankine" => (c + 273.15) * 9.0 / 5.0,
        "DegreeReaumur" => c * 4.0 / 5.0,
        "DegreeRoemer" => c * 21.0 / 40.0 + 7.5,
        "MillidegreeCelsius" => c * 1000.0,
        "SolarTemperature" => (c + 273.15) / 5778.0,
        _ => c + 273.15,
    })
}

fn convert_kernel(
    ctx: &crate::Ctx,
    args: &[crate::Arg],
    f: fn(f64, &str, &str) -> Option<f64>,
) -> Result<arrow::array::ArrayRef, String> {
    rows_ok(ctx, args, |r| {
        val::real(&r[0])
            .and_then(|v| f(v, val::str(&r[1]), val::str(&r[2])))
            .map_or(ScalarValue::Null(KqlType::Real), ScalarValue::Real)
    })
}

macro_rules! converter {
    ($id:ident, $name:literal, $what:literal, $f:expr, $units:literal, $ex:literal, $out:literal) => {
        static $id: FunctionDef = FunctionDef::new(
            $name,
            C,
            concat!($name, "(value: real, from: string, to: string): real"),
            concat!(
                "Converts ",
                $what,
                " from one unit to another; null for a unit it does not know. Units: ",
                $units,
                "."
            ),
            |a| sig($name, a, 3, &[P::Real, P::StrS, P::StrS], KqlType::Real),
            |ctx, args| convert_kernel(ctx, args, $f),
        )
        .examples(&[Example {
            query: $ex,
            output: $out,
        }]);
    };
}

converter!(
    CONVERT_ANGLE,
    "convert_angle",
    "an angle",
    angle,
    "Arcminute, Arcsecond, Centiradian, Deciradian, Degree, Gradian, Microdegree, Microradian, Millidegree, Milliradian, Nanodegree, Nanoradian, NatoMil, Radian, Revolution, Tilt",
    "print a = convert_angle(1.2, 'Degree', 'Arcminute'), b = convert_angle(180, 'Degree', 'Revolution'), c = convert_angle(1, 'Degree', 'Furlong')",
    "a,b,c\n72.0,0.5,"
);
converter!(
    CONVERT_ENERGY,
    "convert_energy",
    "an energy",
    |v, a, b| linear(ENERGY, v, a, b),
    "BritishThermalUnit, Calorie, DecathermEc, DecathermImperial, DecathermUs, ElectronVolt, Erg, FootPound, GigabritishThermalUnit, GigaelectronVolt, Gigajoule, GigawattDay, GigawattHour, HorsepowerHour, Joule, KilobritishThermalUnit, Kilocalorie, KiloelectronVolt, Kilojoule, KilowattDay, KilowattHour, MegabritishThermalUnit, Megacalorie, MegaelectronVolt, Megajoule, MegawattDay, MegawattHour, Millijoule, TeraelectronVolt, TerawattDay, TerawattHour, ThermEc, ThermImperial, ThermUs, WattDay, WattHour",
    "print a = convert_energy(1.2, 'Joule', 'BritishThermalUnit'), b = convert_energy(1, 'KilowattHour', 'Megajoule')",
    "a,b\n0.0011373805443759806,3.6"
);
converter!(
    CONVERT_FORCE,
    "convert_force",
    "a force",
    |v, a, b| linear(FORCE, v, a, b),
    "Decanewton, Dyn, KilogramForce, Kilonewton, KiloPond, KilopoundForce, Meganewton, Micronewton, Millinewton, Newton, OunceForce, Poundal, PoundForce, ShortTonForce, TonneForce",
    "print a = convert_force(1.2, 'Newton', 'Decanewton'), b = convert_force(1, 'KilogramForce', 'Newton')",
    "a,b\n0.12,9.80665"
);
converter!(
    CONVERT_LENGTH,
    "convert_length",
    "a length",
    |v, a, b| linear(LENGTH, v, a, b),
    "Angstrom, AstronomicalUnit, Centimeter, Chain, DataMile, Decameter, Decimeter, DtpPica, DtpPoint, Fathom, Foot, Hand, Hectometer, Inch, KilolightYear, Kilometer, Kiloparsec, LightYear, MegalightYear, Megaparsec, Meter, Microinch, Micrometer, Mil, Mile, Millimeter, Nanometer, NauticalMile, Parsec, PrinterPica, PrinterPoint, Shackle, SolarRadius, Twip, UsSurveyFoot, Yard",
    "print a = convert_length(1.2, 'Meter', 'Foot'), b = convert_length(1, 'Mile', 'Kilometer')",
    "a,b\n3.9370078740157477,1.609344"
);
converter!(
    CONVERT_MASS,
    "convert_mass",
    "a mass",
    |v, a, b| linear(MASS, v, a, b),
    "Centigram, Decagram, Decigram, EarthMass, Grain, Gram, Hectogram, Kilogram, Kilopound, Kilotonne, LongHundredweight, LongTon, Megapound, Megatonne, Microgram, Milligram, Nanogram, Ounce, Pound, ShortHundredweight, ShortTon, Slug, SolarMass, Stone, Tonne",
    "print a = convert_mass(1.2, 'Kilogram', 'Pound'), b = convert_mass(1, 'Stone', 'Pound')",
    "a,b\n2.6455471462185307,14.0"
);
converter!(
    CONVERT_SPEED,
    "convert_speed",
    "a speed",
    |v, a, b| linear(SPEED, v, a, b),
    "CentimeterPerHour, CentimeterPerMinute, CentimeterPerSecond, DecimeterPerMinute, DecimeterPerSecond, FootPerHour, FootPerMinute, FootPerSecond, InchPerHour, InchPerMinute, InchPerSecond, KilometerPerHour, KilometerPerMinute, KilometerPerSecond, Knot, MeterPerHour, MeterPerMinute, MeterPerSecond, MicrometerPerMinute, MicrometerPerSecond, MilePerHour, MillimeterPerHour, MillimeterPerMinute, MillimeterPerSecond, NanometerPerMinute, NanometerPerSecond, UsSurveyFootPerHour, UsSurveyFootPerMinute, UsSurveyFootPerSecond, YardPerHour, YardPerMinute, YardPerSecond",
    "print a = convert_speed(1.2, 'MeterPerSecond', 'CentimeterPerHour'), b = convert_speed(36, 'KilometerPerHour', 'MeterPerSecond')",
    "a,b\n431999.99999999994,10.0"
);
converter!(
    CONVERT_TEMPERATURE,
    "convert_temperature",
    "a temperature",
    temperature,
    "DegreeCelsius, DegreeDelisle, DegreeFahrenheit, DegreeNewton, DegreeRankine, DegreeReaumur, DegreeRoemer, Kelvin, MillidegreeCelsius, SolarTemperature",
    "print a = convert_temperature(1.2, 'Kelvin', 'DegreeCelsius'), b = convert_temperature(100, 'DegreeCelsius', 'DegreeFahrenheit'), c = convert_temperature(real(null), 'Kelvin', 'Kelvin')",
    "a,b,c\n-271.95,212.0,"
);
converter!(
    CONVERT_VOLUME,
    "convert_volume",
    "a volume",
    |v, a, b| linear(VOLUME, v, a, b),
    "AcreFoot, AuTablespoon, BoardFoot, Centiliter, CubicCentimeter, CubicDecimeter, CubicFoot, CubicHectometer, CubicInch, CubicKilometer, CubicMeter, CubicMicrometer, CubicMile, CubicMillimeter, CubicYard, Decaliter, DecausGallon, Deciliter, DeciusGallon, HectocubicFoot, HectocubicMeter, Hectoliter, HectousGallon, ImperialBeerBarrel, ImperialGallon, ImperialOunce, ImperialPint, KilocubicFoot, KilocubicMeter, KiloimperialGallon, Kiloliter, KilousGallon, Liter, MegacubicFoot, MegaimperialGallon, Megaliter, MegausGallon, MetricCup, MetricTeaspoon, Microliter, Milliliter, OilBarrel, UkTablespoon, UsBeerBarrel, UsCustomaryCup, UsGallon, UsLegalCup, UsOunce, UsPint, UsQuart, UsTablespoon, UsTeaspoon",
    "print a = convert_volume(1.2, 'CubicMeter', 'AcreFoot'), b = convert_volume(1, 'UsGallon', 'Liter')",
    "a,b\n0.0009728568000000001,3.785411784"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_conversions() {
        let close =
            |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() <= 1e-12 * b.abs().max(1.0));
        assert!(close(angle(1.2, "Degree", "Arcminute"), 72.0));
        assert!(close(
            linear(ENERGY, 1.2, "Joule", "BritishThermalUnit"),
            0.00113738054437598
        ));
        assert!(close(linear(FORCE, 1.2, "Newton", "Decanewton"), 0.12));
        assert!(close(
            linear(LENGTH, 1.2, "Meter", "Foot"),
            3.93700787401575
        ));
        assert!(close(
            linear(MASS, 1.2, "Kilogram", "Pound"),
            2.64554714621853
        ));
        assert!(close(
            linear(SPEED, 1.2, "MeterPerSecond", "CentimeterPerHour"),
            432000.0
        ));
        assert!(close(temperature(1.2, "Kelvin", "DegreeCelsius"), -271.95));
        assert!(close(
            linear(VOLUME, 1.2, "CubicMeter", "AcreFoot"),
            0.0009728568
        ));
        // Tilt is the sine of the angle.
        assert!(close(angle(30.0, "Degree", "Tilt"), 0.5));
        assert!(close(angle(0.5, "Tilt", "Degree"), 30.0));
        // Every temperature unit round-trips through kelvin.
        for u in TEMPERATURES {
            assert!(
                close(
                    temperature(
                        temperature(300.0, "Kelvin", u).unwrap_or(f64::NAN),
                        u,
                        "Kelvin"
                    ),
                    300.0
                ),
                "{u}"
            );
        }
        assert_eq!(linear(LENGTH, 1.0, "Meter", "Parsnip"), None);
        assert!(close(linear(LENGTH, 1.0, "meter", "FOOT"), 1.0 / 0.3048));
    }
}
