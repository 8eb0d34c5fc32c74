"""Development tools shared by the test suite, the benchmarks and the CI scripts (never imported by
the product): ``devtools.stack`` starts the whole product on free loopback ports."""
