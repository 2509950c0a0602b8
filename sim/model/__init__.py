"""Model components: population, network, opinion dynamics and actors."""
