//! The parallel ranking driver.
