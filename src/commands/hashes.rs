//! hash commands. Placeholder until the family lands (issue 3).

use super::table::Command;

pub static COMMANDS: &[Command] = &[];
