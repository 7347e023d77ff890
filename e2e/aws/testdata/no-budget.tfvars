# The emulated apply makes no monthly budget: moto cannot describe a
# budget's subscribers, which the provider reads after creating one
# (e2e/aws motoLimits). A variable file, since -var cannot set null.
budget_limit_usd = null
