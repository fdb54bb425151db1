"""ANA-4 customer profiles (the seed's weighting model): each account's facts in feature
groups, a group score F(Ue_i) = Σ_j ω_j·U_ij and a total F(U) = Σ_i λ_i·F(Ue_i) whose
weights are learned from the arrears the utility records (weights), similar customers by
total matching degree and a t-SNE map of the profiles (similar), the monthly retraining
(jobs) and the CLI (cli). The groups and the two the utility has no data for: groups."""
