"""ANA-3 arrears risk: features, model and its place in the collection workflow."""
