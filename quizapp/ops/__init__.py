"""Operations: backup and restore (`backup.py`), retention (`retention.py`), readiness
(`health.py`), Prometheus metrics (`metrics.py`) and structured logs (`logs.py`)."""
