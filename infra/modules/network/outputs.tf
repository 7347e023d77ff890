output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, one per availability zone, in the order of availability_zones."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per availability zone, in the order of availability_zones."
  value       = aws_subnet.private[*].id
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways (empty without enable_nat_gateway)."
  value       = aws_nat_gateway.this[*].id
}

output "private_subnets_have_egress" {
  description = "Whether the private subnets route to the internet through NAT; workloads without it must run in public subnets to pull images."
  value       = local.nat_count > 0
}

output "flow_log_group_name" {
  description = "Name of the CloudWatch log group that holds the VPC flow logs, or null when they are off."
  value       = one(aws_cloudwatch_log_group.flow_logs[*].name)
}

output "vpc_endpoint_services" {
  description = "Services reached through VPC endpoints (the S3 gateway endpoint and the interface endpoints)."
  value       = concat(var.enable_s3_gateway_endpoint ? ["s3"] : [], var.interface_endpoints)
}
