"""Operations: what a load balancer and an operator see (health, readiness, job logs)."""
