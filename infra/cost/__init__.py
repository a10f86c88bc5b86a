"""What a stack costs per month, estimated offline from its plan snapshot and a pinned price sheet.

`sheet` loads the price sheet (Azure Retail Prices API items), `meters` names the prices the model
needs, `model` prices each resource kind (floor at minimum replicas and nodes, ceiling at maximum),
`delta` compares two estimates, `report` formats them, `refresh` rebuilds a sheet from the API.
"""
