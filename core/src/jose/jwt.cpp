// implemented by the jose work
