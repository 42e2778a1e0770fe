"""Jobs as library functions: each a short composition of the steps."""
