"""The Redis adapters: one store per module, bundled by :class:`.store.Store`."""
