mock_provider "aws" {
  source = "../../mocks"
}

variables {
  name               = "pollstack-test"
  availability_zones = ["us-east-1a", "us-east-1b"]
  kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "secure_defaults" {
  command = apply

  assert {
    condition     = length(aws_subnet.public) == 2 && length(aws_subnet.private) == 2
    error_message = "one public and one private subnet per availability zone"
  }

  assert {
    condition     = alltrue([for s in concat(aws_subnet.public, aws_subnet.private) : s.map_public_ip_on_launch == false])
    error_message = "no subnet may hand out public addresses by default"
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "the default security group must have no rules"
  }

  assert {
    condition     = length(aws_flow_log.this) == 1 && aws_flow_log.this[0].traffic_type == "ALL"
    error_message = "flow logs are on by default and record all traffic"
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs[0].kms_key_id == var.kms_key_arn
    error_message = "the flow log group is encrypted with the given key"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 0 && length(aws_route.private_nat) == 0
    error_message = "no NAT gateway unless asked for"
  }

  assert {
    condition     = length(setintersection(aws_subnet.public[*].cidr_block, aws_subnet.private[*].cidr_block)) == 0
    error_message = "public and private subnets must not overlap"
  }
}

run "nat_per_zone" {
  command = plan

  variables {
    availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    enable_nat_gateway = true
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3 && length(aws_route.private_nat) == 3
    error_message = "one NAT gateway and one default route per zone"
  }
}

run "single_nat" {
  command = plan

  variables {
    enable_nat_gateway     = true
    one_nat_gateway_per_az = false
    enable_flow_logs       = false
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_route.private_nat) == 2
    error_message = "a single NAT gateway serves every private route table"
  }

  assert {
    condition     = length(aws_flow_log.this) == 0 && output.flow_log_group_name == null
    error_message = "flow logs can be turned off"
  }
}

run "rejects_one_zone" {
  command = plan

  variables {
    availability_zones = ["us-east-1a"]
  }

  expect_failures = [var.availability_zones]
}

run "flow_logs_need_a_key" {
  command = plan

  variables {
    kms_key_arn = null
  }

  expect_failures = [aws_cloudwatch_log_group.flow_logs]
}

run "endpoints" {
  command = apply

  variables {
    enable_nat_gateway  = true
    interface_endpoints = ["ecr.api", "ecr.dkr", "secretsmanager", "logs", "sts"]
  }

  assert {
    condition     = aws_vpc_endpoint.s3[0].vpc_endpoint_type == "Gateway" && length(aws_vpc_endpoint.s3[0].route_table_ids) == 1 + length(aws_route_table.private)
    error_message = "S3 is reached through a gateway endpoint from every route table"
  }

  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["ecr.api", "ecr.dkr", "secretsmanager", "logs", "sts"]) && alltrue([for e in aws_vpc_endpoint.interface : e.private_dns_enabled && toset(e.subnet_ids) == toset(aws_subnet.private[*].id)])
    error_message = "each interface endpoint sits in the private subnets with private DNS"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoints_https[0].from_port == 443 && aws_vpc_security_group_ingress_rule.endpoints_https[0].cidr_ipv4 == var.cidr_block
    error_message = "the endpoints take HTTPS from inside the VPC only"
  }
}
