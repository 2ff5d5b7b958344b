"""HR's oversight: dialogue-quality audits, approval patterns, data-subject rights."""
