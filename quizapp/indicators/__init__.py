"""Plan indicators: shipped definitions, their loader, and the pure maths of rates and targets."""
