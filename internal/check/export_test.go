package check

// Done exposes the config's context for tests.
func Done(c *Config) <-chan struct{} { return c.ctx.Done() }
