mock_provider "aws" {
  source = "../../mocks"
}

variables {
  name               = "pollstack-test"
  vpc_id             = "vpc-0123456789abcdef0"
  ecr_repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/pollstack-test"
  log_group_arn      = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/pollstack-test"
  db_resource_id     = "db-ABCDEFGHIJKLMNOPQRSTUVWXY1"
}

# Guard 1, for every role of this module: a role that reads a secret may
# decrypt it through Secrets Manager (the task role and the server key),
# and no role here reads the database's master secret (module cicd's
# database-init role alone does, for an administrator).
run "roles_read_and_decrypt_their_own_secrets_only" {
  command = apply

  assert {
    condition = length([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s
      if length(setintersection(flatten([s.Action]), ["secretsmanager:GetSecretValue", "kms:Decrypt"])) > 0
    ]) == 0
    error_message = "the execution role resolves no secret: the app reads its key with the task role, the database takes IAM tokens"
  }

  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.migrate.policy).Statement : [flatten([s.Action]), flatten([s.Resource])]
    ] == [[["rds-db:connect"], ["arn:aws:rds-db:us-east-1:123456789012:dbuser:${var.db_resource_id}/pollstack_migrator"]]]
    error_message = "the migration task's role may only log in to this database as the migrator (IAM database authentication)"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.execution.policy).Statement :
      flatten([s.Resource]) != ["*"] || flatten([s.Action]) == ["ecr:GetAuthorizationToken"]
    ])
    error_message = "only ecr:GetAuthorizationToken (which has no resource-level permissions) may use Resource *"
  }

  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.task.policy).Statement : flatten([s.Resource])
      if contains(flatten([s.Action]), "rds-db:connect")
    ] == [["arn:aws:rds-db:us-east-1:123456789012:dbuser:${var.db_resource_id}/pollstack_app"]]
    error_message = "the task role may log in to this database as the app user only (IAM database authentication)"
  }

  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.task.policy).Statement : flatten([s.Resource])
      if contains(flatten([s.Action]), "secretsmanager:GetSecretValue")
    ] == [[aws_secretsmanager_secret.server_key.arn]]
    error_message = "the task role connects as the app user and reads the server key, no other secret"
  }

  # A role decrypts with the stack's key only what Secrets Manager decrypts
  # for the secret it reads (the secret's ARN is the encryption context).
  assert {
    condition = alltrue([for p, secret in {
      (aws_iam_role_policy.task.policy) = aws_secretsmanager_secret.server_key.arn
      } : [
      for s in jsondecode(p).Statement : try(s.Condition.StringEquals["kms:EncryptionContext:SecretARN"], "")
      if contains(flatten([s.Action]), "kms:Decrypt")
    ] == [secret]])
    error_message = "each ECS role decrypts only through Secrets Manager and only its own secret (kms:EncryptionContext:SecretARN)"
  }

  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.task.policy).Statement : s.Condition.StringEquals["kms:EncryptionContext:SecretARN"]
      if contains(flatten([s.Action]), "kms:Decrypt")
    ] == [aws_secretsmanager_secret.server_key.arn]
    error_message = "the task role decrypts through Secrets Manager for the server key only (its ARN as encryption context)"
  }

  assert {
    condition     = length(toset([aws_iam_role.execution.name, aws_iam_role.task.name, aws_iam_role.migrate.name])) == 3
    error_message = "the execution role, the app's task role and the migration's task role must be separate roles"
  }
}

run "key_and_security_groups" {
  command = apply

  assert {
    condition = anytrue([
      for st in jsondecode(aws_kms_key.this.policy).Statement :
      st.Effect == "Allow" && toset(flatten([try(st.Principal.Service, [])])) == toset(["cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com"])
      && toset(flatten([st.Action])) == toset(["kms:Decrypt", "kms:GenerateDataKey*"])
    ])
    error_message = "alarms, EventBridge and Budgets may use the key to publish to the encrypted alarm topic (Decrypt, GenerateDataKey* only)"
  }

  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_key.this.deletion_window_in_days == 30
    error_message = "the project key rotates and has a 30-day deletion window"
  }

  assert {
    condition     = length([for s in jsondecode(aws_kms_key.this.policy).Statement : s if try(s.Principal.AWS, "") == "*" || try(s.Principal, "") == "*"]) == 0
    error_message = "the key policy must not grant anything to everyone"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.app_from_alb.referenced_security_group_id == aws_security_group.alb.id && aws_vpc_security_group_ingress_rule.app_from_alb.cidr_ipv4 == null
    error_message = "the app takes traffic from the load balancer's security group only"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.db_from_app.referenced_security_group_id == aws_security_group.app.id && aws_vpc_security_group_ingress_rule.db_from_app.from_port == 5432 && aws_vpc_security_group_ingress_rule.db_from_app.cidr_ipv4 == null
    error_message = "the database takes PostgreSQL from the app's security group only"
  }

  assert {
    condition     = alltrue([for r in concat(values(aws_vpc_security_group_ingress_rule.alb_http), values(aws_vpc_security_group_ingress_rule.alb_https)) : r.description != null && r.description != ""])
    error_message = "every rule is described"
  }
}

run "rejects_privileged_port" {
  command = plan

  variables {
    app_port = 80
  }

  expect_failures = [var.app_port]
}

# The server key: encrypted with the project key, read and decrypted by the
# task role only.
run "server_key_only_for_the_task_role" {
  command = apply

  assert {
    condition     = aws_secretsmanager_secret.server_key.kms_key_id == aws_kms_key.this.arn
    error_message = "the server key is encrypted with the project key"
  }

  assert {
    condition = length([
      for st in jsondecode(aws_iam_role_policy.task.policy).Statement : st
      if contains(flatten([st.Action]), "secretsmanager:GetSecretValue") && contains(flatten([st.Resource]), aws_secretsmanager_secret.server_key.arn)
    ]) == 1 && !strcontains(aws_iam_role_policy.execution.policy, aws_secretsmanager_secret.server_key.arn)
    error_message = "the task role, and not the execution role, reads the server key"
  }
}
