//! Randomized model test (filled in below).
