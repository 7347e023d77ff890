variable "cpu_architecture" {
  description = "CPU architecture of the Fargate tasks."
  type        = string
  default     = "X86_64"
}
