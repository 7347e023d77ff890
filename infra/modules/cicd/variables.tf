variable "name" {
  description = "Name prefix for every resource of this stack, for example `pollstack-lean`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "github_repository" {
  description = "GitHub repository (`owner/name`) whose workflows may assume the roles. Exact: no wildcards."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be owner/name, without wildcards."
  }
}

variable "github_owner_id" {
  description = "Numeric ID of the repository's owner (`github.repository_owner_id` in a workflow): part of GitHub's immutable OIDC subject, so that a re-created owner of the same name never matches."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[1-9][0-9]{0,19}$", var.github_owner_id))
    error_message = "github_owner_id must be the owner's numeric ID."
  }
}

variable "github_repository_id" {
  description = "Numeric ID of the repository (`github.repository_id`): part of the immutable subject and checked on its own (repository_id claim), so that a repository re-created under the same name never matches."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[1-9][0-9]{0,19}$", var.github_repository_id))
    error_message = "github_repository_id must be the repository's numeric ID."
  }
}

variable "accept_legacy_subject" {
  description = "Also accept the legacy subject `repo:OWNER/REPO:...` (names only) besides the immutable `repo:OWNER@OWNER_ID/REPO@REPO_ID:...`, while a repository moves to immutable subjects. Off: a name alone can be re-registered by someone else."
  type        = bool
  default     = false
  nullable    = false
}

variable "deploy_workflow" {
  description = "Path of the workflow whose jobs may assume the roles (the job_workflow_ref claim, pinned to plan_branch)."
  type        = string
  default     = ".github/workflows/deploy.yml"
  nullable    = false

  validation {
    condition     = can(regex("^\\.github/workflows/[A-Za-z0-9._-]+\\.ya?ml$", var.deploy_workflow))
    error_message = "deploy_workflow must be a workflow file under .github/workflows/."
  }
}

variable "vpc_id" {
  description = "The stack's VPC: the deploy role may strip and tag that VPC's default security group, which AWS creates untagged."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "db_migrator_user" {
  description = "The database role that owns the schema and runs the migrations (IAM database authentication): the boundary lets workload roles connect as it or db_app_user only."
  type        = string
  default     = "pollstack_migrator"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_migrator_user))
    error_message = "db_migrator_user must be a PostgreSQL role name of lower-case letters, digits and underscores."
  }
}

variable "db_app_user" {
  description = "The app's database user (IAM database authentication): the boundary lets workload roles connect as this user only."
  type        = string
  default     = "pollstack_app"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_app_user))
    error_message = "db_app_user must be a PostgreSQL role name of lower-case letters, digits and underscores."
  }
}

variable "deploy_environment" {
  description = "GitHub environment (with required reviewers) whose jobs may assume the deploy role; the token's subject must be `repo:<owner>@<owner id>/<name>@<repository id>:environment:<this>`."
  type        = string
  default     = "production"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,255}$", var.deploy_environment))
    error_message = "deploy_environment must be a GitHub environment name without wildcards or colons."
  }
}

variable "plan_branch" {
  description = "Protected branch whose workflow runs may assume the read-only plan role (subject `repo:<owner>@<owner id>/<name>@<repository id>:ref:refs/heads/<this>`), and on which the deploy workflow of both roles' job_workflow_ref runs."
  type        = string
  default     = "main"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]{1,255}$", var.plan_branch)) && !strcontains(var.plan_branch, "*")
    error_message = "plan_branch must be a branch name without wildcards."
  }
}

variable "oidc_audience" {
  description = "Audience of the GitHub OIDC tokens. Only `sts.amazonaws.com`, what aws-actions/configure-aws-credentials requests, is accepted: any other audience would let tokens minted for another service assume the roles."
  type        = string
  default     = "sts.amazonaws.com"
  nullable    = false

  validation {
    condition     = var.oidc_audience == "sts.amazonaws.com"
    error_message = "oidc_audience must be exactly sts.amazonaws.com."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider. An account holds one per URL: set false in the second stack of an account and pass existing_oidc_provider_arn."
  type        = bool
  default     = true
  nullable    = false
}

variable "existing_oidc_provider_arn" {
  description = "ARN of the account's existing GitHub OIDC provider, when create_oidc_provider is false. Its client ID list must be exactly [\"sts.amazonaws.com\"]."
  type        = string
  default     = null

  validation {
    condition     = var.existing_oidc_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.existing_oidc_provider_arn))
    error_message = "existing_oidc_provider_arn must be the ARN of a token.actions.githubusercontent.com OIDC provider."
  }
}

variable "state_bucket_name" {
  description = "Name of the S3 bucket that holds the Terraform state (infra/bootstrap)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name."
  }
}

variable "state_key" {
  description = "Object key of this stack's state in the bucket, as given to `terraform init -backend-config=key=...`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+\\.tfstate$", var.state_key))
    error_message = "state_key must be an object key ending in .tfstate, without wildcards."
  }
}

variable "state_kms_key_alias" {
  description = "Alias of the KMS key that encrypts the state bucket (infra/bootstrap); the roles may use only the key behind this alias."
  type        = string
  default     = "alias/pollstack-tfstate"
  nullable    = false

  validation {
    condition     = can(regex("^alias/[A-Za-z0-9/_-]+$", var.state_kms_key_alias)) && !startswith(var.state_kms_key_alias, "alias/aws/")
    error_message = "state_kms_key_alias must be a customer-managed key alias, alias/<name>."
  }
}

variable "ecr_repository_arn" {
  description = "ARN of the app's ECR repository, the one the deploy role pushes to."
  type        = string
  nullable    = false
}

variable "ecs_role_arns" {
  description = "ARNs of the three ECS roles (execution, the app's task role, the migration's task role) the deploy role may pass, to ECS tasks only."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.ecs_role_arns) == 3
    error_message = "ecs_role_arns must list exactly the execution role and the two task roles."
  }
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone the deploy role may change records in, or null without a domain."
  type        = string
  default     = null
}

variable "max_session_duration" {
  description = "Longest session, in seconds, of the plan and deploy roles; a deploy (plan, apply, wait for the service) fits in an hour."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.max_session_duration >= 900 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 900 and 43200 seconds."
  }
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "db_secret_arn" {
  description = "ARN of the database's master user secret (made by RDS): read and decrypted by the administrator's database-init role only, never by a role within the workload boundary."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[^*?]+$", var.db_secret_arn))
    error_message = "db_secret_arn must be a Secrets Manager secret ARN without wildcards."
  }
}

variable "db_resource_id" {
  description = "Resource ID (DbiResourceId, db-...) of the stack's database: the workload boundary lets roles connect (rds-db:connect) to this instance only."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^db-[A-Za-z0-9]+$", var.db_resource_id))
    error_message = "db_resource_id must be an RDS DbiResourceId, db- followed by letters and digits."
  }
}

variable "kms_key_arn" {
  description = "ARN of the stack's KMS key (module security): the deploy role manages and uses this key by its ARN, never a key it could tag as the stack's."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:...:key/<id>)."
  }
}

variable "alarm_emails" {
  description = "E-mail addresses the deploy role may subscribe to the stack's alarm topic (sns:Endpoint); no other subscription is allowed. Empty: none."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@\\s*]+@[^@\\s*]+$", e))])
    error_message = "alarm_emails must be e-mail addresses, without wildcards."
  }
}

variable "protect_database" {
  description = "The database is deletion-protected: the deploy role is also explicitly denied deleting it, its snapshots and its automated backups, and every change to AWS Backup (module backup), so that only an administrator can take the data away."
  type        = bool
  default     = true
  nullable    = false
}
