"""Creates a VPC, a subnet and a security group in moto (its ECS checks awsvpc subnets against its EC2) and
prints "SUBNET_ID SECURITY_GROUP_ID". Reuses the ones it made before."""
import os

import boto3

ec2 = boto3.client("ec2", endpoint_url=os.environ["AWS_ENDPOINT_URL_ECS"], region_name=os.environ["AWS_REGION"])
tag = [{"Key": "ecs-bridge-demo", "Values": ["true"]}]
subnets = ec2.describe_subnets(Filters=[{"Name": "tag:ecs-bridge-demo", "Values": ["true"]}])["Subnets"]
if subnets:
    subnet = subnets[0]["SubnetId"]
    vpc = subnets[0]["VpcId"]
else:
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    ec2.create_tags(Resources=[subnet], Tags=[{"Key": "ecs-bridge-demo", "Value": "true"}])
groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["ecs-bridge-demo"]}])["SecurityGroups"]
group = groups[0]["GroupId"] if groups else ec2.create_security_group(
    GroupName="ecs-bridge-demo", Description="ecs-bridge demo", VpcId=vpc)["GroupId"]
print(subnet, group)
