"""One module per raw format. Each returns tidy pandas frames or raises InputError."""
