//! IP address functions (IPv4 and IPv6 text, CIDR ranges and masks).

use crate::FunctionDef;

pub static FUNCTIONS: &[&FunctionDef] = &[];
