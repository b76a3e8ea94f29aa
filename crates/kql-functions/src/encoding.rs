//! Encoding and hashing: base64, URL encoding, hashes, GUIDs.

use crate::FunctionDef;

pub static FUNCTIONS: &[&FunctionDef] = &[];
