package audit

// ReleaseBudgets sets the verifier's spools to the budgets of a release,
// and its chunks of leaves to a release's, for the benchmarks (the tests
// lower them; see verify_spool_test.go).
func ReleaseBudgets() {
	bindingBudget, smallBudget, tileChunk = releaseBindingBudget, releaseSmallBudget, releaseTileChunk
}
