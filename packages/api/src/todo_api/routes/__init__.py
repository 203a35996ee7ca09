"""HTTP routers. They know the domain and the API models, never an adapter."""
