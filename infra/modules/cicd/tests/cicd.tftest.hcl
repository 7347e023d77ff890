mock_provider "aws" {
  source = "../../mocks"
}

variables {
  name               = "pollstack-test"
  github_repository  = "pollstack/pollstack"
  state_bucket_name  = "pollstack-tfstate-123456789012"
  state_key          = "pollstack/lean/terraform.tfstate"
  ecr_repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/pollstack-test"
  ecs_role_arns = [
    "arn:aws:iam::123456789012:role/pollstack-test-ecs-execution",
    "arn:aws:iam::123456789012:role/pollstack-test-ecs-task",
    "arn:aws:iam::123456789012:role/pollstack-test-ecs-migrate",
  ]
  hosted_zone_id       = "Z0123456789ABCDEFGHIJ"
  github_owner_id      = "1001"
  github_repository_id = "2002"
  vpc_id               = "vpc-0123456789abcdef0"
  db_secret_arn        = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b2c3d-AbCdEf"
  db_resource_id       = "db-ABCDEFGHIJKLMNOPQRSTUVWXY1"
  kms_key_arn          = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

# Guard 4: the OIDC audience is exactly sts.amazonaws.com and the trust pins
# the subject to the repository's protected environment or branch.
run "oidc_audience_and_subjects" {
  command = apply

  assert {
    condition     = aws_iam_openid_connect_provider.this[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "the OIDC provider's client ID list must be exactly [\"sts.amazonaws.com\"]"
  }

  assert {
    condition     = aws_iam_openid_connect_provider.this[0].url == "https://token.actions.githubusercontent.com"
    error_message = "the provider is GitHub Actions' token issuer"
  }

  assert {
    condition = jsondecode(aws_iam_role.deploy.assume_role_policy).Statement[0].Condition.StringEquals == {
      "token.actions.githubusercontent.com:aud"              = "sts.amazonaws.com"
      "token.actions.githubusercontent.com:sub"              = ["repo:pollstack@1001/pollstack@2002:environment:production"]
      "token.actions.githubusercontent.com:repository_id"    = "2002"
      "token.actions.githubusercontent.com:job_workflow_ref" = "pollstack/pollstack/.github/workflows/deploy.yml@refs/heads/main"
    }
    error_message = "the deploy role requires audience sts.amazonaws.com, the immutable subject of the protected environment, the repository's ID and the deploy workflow on main, with StringEquals"
  }

  assert {
    condition = jsondecode(aws_iam_role.plan.assume_role_policy).Statement[0].Condition.StringEquals == {
      "token.actions.githubusercontent.com:aud"              = "sts.amazonaws.com"
      "token.actions.githubusercontent.com:sub"              = ["repo:pollstack@1001/pollstack@2002:ref:refs/heads/main"]
      "token.actions.githubusercontent.com:repository_id"    = "2002"
      "token.actions.githubusercontent.com:job_workflow_ref" = "pollstack/pollstack/.github/workflows/deploy.yml@refs/heads/main"
    }
    error_message = "the plan role requires the immutable subject of the protected branch and the deploy workflow"
  }

  assert {
    condition     = alltrue([for r in [aws_iam_role.deploy, aws_iam_role.plan] : length(jsondecode(r.assume_role_policy).Statement) == 1 && !can(jsondecode(r.assume_role_policy).Statement[0].Condition.StringLike)])
    error_message = "one trust statement per role, no wildcard (StringLike) conditions"
  }
}

run "legacy_subject_only_when_asked" {
  command = plan

  variables {
    accept_legacy_subject = true
  }

  assert {
    condition     = output.deploy_subjects == ["repo:pollstack@1001/pollstack@2002:environment:production", "repo:pollstack/pollstack:environment:production"]
    error_message = "with accept_legacy_subject the legacy subject is accepted besides the immutable one"
  }
}

run "rejects_non_numeric_ids" {
  command = plan

  variables {
    github_repository_id = "pollstack"
  }

  expect_failures = [var.github_repository_id]
}

run "rejects_other_audiences" {
  command = plan

  variables {
    oidc_audience = "sigstore"
  }

  expect_failures = [var.oidc_audience]
}

run "rejects_wildcard_repository" {
  command = plan

  variables {
    github_repository = "pollstack/*"
  }

  expect_failures = [var.github_repository]
}

run "rejects_wildcard_branch" {
  command = plan

  variables {
    plan_branch = "*"
  }

  expect_failures = [var.plan_branch]
}

run "deploy_role_is_scoped" {
  command = apply

  assert {
    condition = alltrue(flatten([
      for p in aws_iam_policy.deploy : [
        for s in jsondecode(p.policy).Statement :
        can(s.Condition.StringEquals["iam:PassedToService"]) && !contains(flatten([s.Resource]), "*") && (
          toset(flatten([s.Resource])) == toset(var.ecs_role_arns) ? s.Condition.StringEquals["iam:PassedToService"] == "ecs-tasks.amazonaws.com" :
          toset(flatten([s.Resource])) == toset(["arn:aws:iam::123456789012:role/pollstack-test-rds-monitoring", "arn:aws:iam::123456789012:role/pollstack-test-flow-logs"])
        )
        if s.Effect == "Allow" && contains(flatten([s.Action]), "iam:PassRole")
      ]
    ]))
    error_message = "iam:PassRole only for the two ECS roles, only to ecs-tasks.amazonaws.com, and the two monitoring roles, each to a named service"
  }

  assert {
    condition = alltrue(flatten([
      for p in aws_iam_policy.deploy : [
        for s in jsondecode(p.policy).Statement : try(s.Condition.StringEquals["iam:PermissionsBoundary"], []) == [
          "arn:aws:iam::123456789012:policy/pollstack-test-workload-boundary",
          "arn:aws:iam::123456789012:policy/pollstack-test-service-boundary",
        ]
        if s.Effect == "Allow" && contains(flatten([s.Action]), "iam:CreateRole")
      ]
    ]))
    error_message = "every role the deploy role creates or changes the policies of must carry the workload or the service boundary"
  }

  assert {
    condition = alltrue([
      for p in aws_iam_policy.deploy : length([
        for s in jsondecode(p.policy).Statement : s
        if s.Effect == "Allow" && length(setintersection(toset(flatten([s.Action])), toset(["*", "iam:*", "organizations:*", "account:*", "aws-portal:*", "billing:*", "sts:*"]))) > 0
      ]) == 0
    ])
    error_message = "no allow of *, iam:*, organizations, account or billing actions"
  }

  assert {
    condition = length([
      for s in jsondecode(aws_iam_policy.deploy["iam-secrets"].policy).Statement : s
      if s.Effect == "Deny" && contains(s.Action, "organizations:*") && contains(s.Action, "aws-portal:*") && contains(s.Action, "account:*") && try(s.Resource, null) == "*"
    ]) == 1
    error_message = "billing, organizations and account settings are explicitly denied"
  }

  assert {
    condition = alltrue(flatten([
      for p in aws_iam_policy.deploy : [
        for s in jsondecode(p.policy).Statement :
        flatten([try(s.Resource, [])]) != ["*"] || s.Effect == "Deny" || can(s.Condition) || alltrue([for a in flatten([s.Action]) : can(regex("^[a-z0-9-]+:(Describe|List|Get)", a)) || contains(["ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:PutResourcePolicy", "elasticloadbalancing:SetWebAcl"], a)])
      ]
    ]))
    error_message = "an allow on Resource * must be read-only, conditioned, or a call without resource-level permissions"
  }

  assert {
    condition = length(flatten([
      for p in aws_iam_policy.deploy : [
        for s in jsondecode(p.policy).Statement : s
        if s.Effect == "Allow" && flatten([try(s.Resource, [])]) == [var.ecr_repository_arn] && length(setintersection(toset(flatten([s.Action])), toset(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:PutImage"]))) == 3
      ]
    ])) == 1
    error_message = "the deploy role pushes the image and its attestations and reads them back from the repository (BatchGetImage, GetDownloadUrlForLayer) to verify them before the apply"
  }

  assert {
    condition     = alltrue([for p in aws_iam_policy.deploy : length(p.policy) <= 6144]) && length(aws_iam_role_policy.plan.policy) <= 10240
    error_message = "IAM refuses managed policies over 6,144 characters and inline policies over 10,240"
  }

  assert {
    condition     = !strcontains(aws_iam_role_policy.plan.policy, "PutImage") && !strcontains(aws_iam_role_policy.plan.policy, "secretsmanager:GetSecretValue") && !strcontains(aws_iam_role_policy.plan.policy, "iam:PassRole")
    error_message = "the plan role is read-only: no image push, no secret values, no PassRole"
  }
}

# The workload boundary names no master secret and this instance's two
# pollstack users; the database-init role alone reads the master secret and
# is the administrator's; the service boundary lets a service role write
# logs and nothing else.
run "boundaries_name_this_database" {
  command = apply

  assert {
    condition = [
      for s in jsondecode(aws_iam_policy.boundary.policy).Statement : s.Resource
      if contains(flatten([s.Action]), "secretsmanager:GetSecretValue") || contains(flatten([s.Action]), "rds-db:connect")
      ] == [
      ["arn:aws:secretsmanager:us-east-1:123456789012:secret:pollstack-test-*"],
      [for u in ["pollstack_app", "pollstack_migrator"] : "arn:aws:rds-db:us-east-1:123456789012:dbuser:${var.db_resource_id}/${u}"],
    ]
    error_message = "the workload boundary reads the stack's own secrets, never a master secret, and connects to this instance as the app or the migrator only"
  }

  assert {
    condition = (
      aws_iam_role.db_init.permissions_boundary == null
      && [for s in jsondecode(aws_iam_role_policy.db_init.policy).Statement : s.Resource if contains(flatten([s.Action]), "secretsmanager:GetSecretValue")] == [[var.db_secret_arn]]
      && contains(local.deny_own_identity.Resource, "arn:aws:iam::123456789012:role/${aws_iam_role.db_init.name}")
      && !contains(var.ecs_role_arns, "arn:aws:iam::123456789012:role/${aws_iam_role.db_init.name}")
    )
    error_message = "the database-init role reads the master secret, is outside the boundary (so only an administrator makes it), and the deploy role may neither change nor pass it"
  }

  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_policy.service_boundary.policy).Statement : alltrue([for a in s.Action : startswith(a, "logs:")])])
    error_message = "the service boundary allows writing logs only"
  }
}
