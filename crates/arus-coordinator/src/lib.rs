//! Arus coordinators (sans-IO): consumer groups and committed offsets.
