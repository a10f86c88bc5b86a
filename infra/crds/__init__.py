"""CRDs other projects maintain, read from their vendored schemas (`upstream/`): the schemas
themselves (`vendored`) and their CEL rules, evaluated as the API server does (`cel`)."""
