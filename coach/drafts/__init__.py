"""AI output as drafts: the one lifecycle, the human decision, and the gate to employees."""
