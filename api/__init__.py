"""HTTP interface of Coach: thin routers over the `coach` domain package."""
