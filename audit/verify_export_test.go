package audit

// ReleaseBudgets sets the verifier's spools to the budgets of a release,
// for the benchmarks (the tests lower them; see verify_spool_test.go).
func ReleaseBudgets() { bindingBudget, smallBudget = releaseBindingBudget, releaseSmallBudget }
