// Shared shapes that cross layer boundaries (activities ⇄ workflows ⇄ aws/linux/dev).
// Everything here is plain data: it travels through Temporal payloads as JSON.

/** Which IMDS protocol answered a read. */
export type ImdsVersion = 'v2' | 'v1';

/** One network interface as IMDS reports it under network/interfaces/macs/<mac>/. */
export interface ImdsInterface {
  mac: string;
  deviceNumber: number;
  interfaceId: string;
}

/** What the node learns about itself from IMDS (or from its providerID as a fallback). */
export interface InstanceIdentity {
  instanceId: string;
  region: string;
  availabilityZone: string;
  macs: ImdsInterface[];
  /** 'v2', 'v1', or 'providerID'/'env' when IMDS was not the source. */
  source: ImdsVersion | 'providerID' | 'env';
}

/** EC2's view of an instance's metadata options (DescribeInstances → MetadataOptions). */
export interface MetadataOptions {
  httpTokens: 'optional' | 'required';
  httpPutResponseHopLimit: number;
  httpEndpoint: 'enabled' | 'disabled';
  httpProtocolIpv6: 'enabled' | 'disabled';
  instanceMetadataTags: 'enabled' | 'disabled';
  state: 'pending' | 'applied';
}

/** An ENI attached to (or owned for) an instance, as EC2 reports it. */
export interface EniFacts {
  eniId: string;
  mac: string;
  subnetId: string;
  privateIpAddress?: string;
  securityGroupIds: string[];
  status: string; // available | in-use | attaching | detaching ...
  tags: Record<string, string>;
  attachment?: {
    attachmentId: string;
    instanceId: string;
    deviceIndex: number;
    status: string; // attaching | attached | detaching | detached
    deleteOnTermination: boolean;
  };
}

/** EC2's view of one instance that onboarding needs. */
export interface InstanceFacts {
  instanceId: string;
  state: string;
  vpcId: string;
  subnetId: string;
  availabilityZone: string;
  instanceType: string;
  metadataOptions: MetadataOptions;
  networkInterfaces: EniFacts[];
}

/** One ENI the workflow wants on a node: the unit of create/attach/configure. */
export interface EniPlan {
  nodeEniName: string;
  subnetId: string;
  /** The subnet's CIDR: its prefix length goes with the ENI's address when addressing is 'primary'. */
  subnetCidr?: string;
  deviceIndex: number;
  securityGroupIds: string[];
  description: string;
  deleteOnTermination: boolean;
  mtu: number; // 0 = leave the interface's MTU alone
  tags: Record<string, string>;
  /** Adoption key (hash of cluster, NodeENI, node, subnet): the ClientToken and the eniflow.io/key tag. */
  key: string;
  /** An ENI of ours that already exists for this key (found by its tags): adopt it, do not create. */
  adoptEniId?: string;
}

/** The Linux side of one configured interface. */
export interface InterfaceState {
  name: string;
  mac: string;
  mtu: number;
  up: boolean;
}

export interface InterfaceReport {
  mac: string;
  name: string;
  before: InterfaceState;
  after: InterfaceState;
  changed: boolean;
}
