package demo

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Surnames with their rough share of China's population (‰), so that 王, 李
// and 张 are as common as they are in a real customer list.
var surnames = []struct {
	name string
	w    float64
}{
	{"王", 71}, {"李", 70}, {"张", 67}, {"刘", 54}, {"陈", 45}, {"杨", 31}, {"黄", 22}, {"赵", 21},
	{"吴", 20}, {"周", 19}, {"徐", 15}, {"孙", 15}, {"马", 12}, {"朱", 12}, {"胡", 11}, {"郭", 11},
	{"何", 11}, {"林", 10}, {"高", 10}, {"罗", 9}, {"郑", 9}, {"梁", 8}, {"谢", 7}, {"宋", 6},
	{"唐", 6}, {"许", 6}, {"韩", 6}, {"冯", 5}, {"邓", 5}, {"曹", 5}, {"彭", 5}, {"曾", 5},
	{"肖", 5}, {"田", 5}, {"董", 5}, {"袁", 4}, {"潘", 4}, {"于", 4}, {"蒋", 4}, {"蔡", 4},
	{"余", 4}, {"杜", 4}, {"叶", 4}, {"程", 4}, {"苏", 3}, {"魏", 3}, {"吕", 3}, {"丁", 3},
	{"任", 3}, {"沈", 3}, {"姚", 3}, {"卢", 3}, {"姜", 3}, {"崔", 3}, {"钟", 3}, {"谭", 3},
	{"陆", 3}, {"汪", 3}, {"范", 3}, {"金", 3}, {"石", 3}, {"廖", 3}, {"贾", 3}, {"夏", 2},
	{"韦", 2}, {"付", 2}, {"方", 2}, {"白", 2}, {"邹", 2}, {"孟", 2}, {"熊", 2}, {"秦", 2},
	{"邱", 2}, {"江", 2}, {"尹", 2}, {"薛", 2}, {"段", 2}, {"雷", 2}, {"侯", 2}, {"龙", 2},
	{"史", 2}, {"陶", 2}, {"黎", 2}, {"贺", 2}, {"顾", 2}, {"毛", 2}, {"郝", 2}, {"龚", 2},
	{"邵", 2}, {"万", 2}, {"钱", 2}, {"严", 2}, {"武", 2}, {"戴", 2}, {"莫", 1}, {"孔", 1},
	{"向", 1}, {"汤", 1}, {"欧阳", 0.6}, {"上官", 0.1}, {"司马", 0.1}, {"诸葛", 0.1},
}

var (
	femaleGiven  = []rune("婷雪丽静敏燕艳娜欣怡佳琳晶颖雅梦思雨萱诗涵悦彤婧慧倩洁瑶璐晓芳玉月霞兰妍琪蕾薇")
	maleGiven    = []rune("伟强磊军洋勇杰涛明超鹏浩宇轩博俊鑫昊文斌凯峰辉晨阳健翔宁志刚毅帆睿航铭")
	neutralGiven = []rune("子一嘉可安心若梓欣晨亦天乐")
)

var (
	surnamePicker *weighted
	cityPicker    *weighted
)

func init() {
	surnamePicker = &weighted{}
	for i, s := range surnames {
		surnamePicker.add(i, s.w)
	}
	cityPicker = &weighted{}
	for i, c := range cities {
		cityPicker.add(i, c.w)
	}
}

func personName(r *rand.Rand, gender string) string {
	var given []rune
	switch gender {
	case "female":
		given = femaleGiven
	case "male":
		given = maleGiven
	default:
		given = neutralGiven
	}
	var b strings.Builder
	b.WriteString(surnames[surnamePicker.pick(r)].name)
	if r.Float64() < 0.7 {
		if r.Float64() < 0.3 {
			b.WriteRune(neutralGiven[r.IntN(len(neutralGiven))])
		} else {
			b.WriteRune(given[r.IntN(len(given))])
		}
	}
	b.WriteRune(given[r.IntN(len(given))])
	return b.String()
}

// mobilePrefixes are the mainland carriers' number blocks.
var mobilePrefixes = []string{
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
	"150", "151", "152", "153", "155", "156", "157", "158", "159",
	"166", "172", "176", "177", "178",
	"180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
	"191", "198", "199",
}

// numbering turns the n-th customer into distinct numbers: an affine map
// with a multiplier prime to the modulus is a bijection, so phones and
// mailbox numbers never repeat and need no set to check against.
type numbering struct {
	mul, add, mod uint64
}

func (nb numbering) of(i uint64) uint64 { return (nb.mul*(i%nb.mod) + nb.add) % nb.mod }

func mobile(nb numbering, i int64) string {
	x := nb.of(uint64(i))
	return mobilePrefixes[x/1e8] + fmt.Sprintf("%08d", x%1e8)
}

func randomMobile(r *rand.Rand) string {
	return pick(r, mobilePrefixes) + fmt.Sprintf("%08d", r.IntN(1e8))
}

var mailHandles = []string{"lily", "momo", "coco", "sunny", "amy", "candy", "kiki", "xiaoyu", "yoyo", "vivi", "lucky", "kevin", "jack", "leo", "tony", "eric", "alan", "mia", "nana", "tina", "grace", "sky"}

// Reserved .example domains (RFC 2606): the demo must never reach a real inbox, even
// if someone points it at a real mail gateway.
var mailDomains = []string{"163.example", "126.example", "foxmail.example", "outlook.example", "gmail.example", "sina.example"}

type city struct {
	province, city string
	districts      []string
	postcode       string // first three digits
	w              float64
	remote         bool // couriers take longer
}

var cities = []city{
	{"广东省", "广州市", []string{"天河区", "越秀区", "海珠区", "番禺区", "白云区"}, "510", 6, false},
	{"广东省", "深圳市", []string{"南山区", "福田区", "宝安区", "龙岗区", "罗湖区"}, "518", 6, false},
	{"广东省", "东莞市", []string{"南城街道", "东城街道", "松山湖"}, "523", 2, false},
	{"浙江省", "杭州市", []string{"西湖区", "上城区", "拱墅区", "滨江区", "余杭区"}, "310", 5, false},
	{"浙江省", "宁波市", []string{"海曙区", "鄞州区", "江北区"}, "315", 2, false},
	{"江苏省", "南京市", []string{"鼓楼区", "玄武区", "秦淮区", "建邺区"}, "210", 3, false},
	{"江苏省", "苏州市", []string{"姑苏区", "工业园区", "吴中区", "相城区"}, "215", 3, false},
	{"上海市", "上海市", []string{"浦东新区", "徐汇区", "静安区", "闵行区", "杨浦区"}, "200", 6, false},
	{"北京市", "北京市", []string{"朝阳区", "海淀区", "东城区", "丰台区", "西城区"}, "100", 5, false},
	{"天津市", "天津市", []string{"和平区", "南开区", "河西区"}, "300", 1.5, false},
	{"山东省", "济南市", []string{"历下区", "市中区", "槐荫区"}, "250", 1.5, false},
	{"山东省", "青岛市", []string{"市南区", "崂山区", "黄岛区"}, "266", 1.5, false},
	{"四川省", "成都市", []string{"锦江区", "武侯区", "青羊区", "高新区", "成华区"}, "610", 4, false},
	{"重庆市", "重庆市", []string{"渝中区", "江北区", "南岸区", "渝北区"}, "400", 2.5, false},
	{"湖北省", "武汉市", []string{"武昌区", "江汉区", "洪山区", "汉阳区"}, "430", 3, false},
	{"湖南省", "长沙市", []string{"岳麓区", "芙蓉区", "天心区", "雨花区"}, "410", 2, false},
	{"河南省", "郑州市", []string{"金水区", "二七区", "中原区"}, "450", 2, false},
	{"福建省", "厦门市", []string{"思明区", "湖里区", "集美区"}, "361", 1.5, false},
	{"福建省", "福州市", []string{"鼓楼区", "台江区", "仓山区"}, "350", 1.5, false},
	{"陕西省", "西安市", []string{"雁塔区", "碑林区", "未央区"}, "710", 2, false},
	{"安徽省", "合肥市", []string{"蜀山区", "包河区", "庐阳区"}, "230", 1.5, false},
	{"辽宁省", "沈阳市", []string{"和平区", "沈河区", "浑南区"}, "110", 1, false},
	{"河北省", "石家庄市", []string{"长安区", "桥西区", "裕华区"}, "050", 1, false},
	{"云南省", "昆明市", []string{"五华区", "盘龙区", "官渡区"}, "650", 1, true},
	{"广西壮族自治区", "南宁市", []string{"青秀区", "兴宁区", "西乡塘区"}, "530", 1, false},
	{"江西省", "南昌市", []string{"东湖区", "红谷滩区", "青山湖区"}, "330", 1, false},
	{"黑龙江省", "哈尔滨市", []string{"南岗区", "道里区", "香坊区"}, "150", 0.8, true},
	{"山西省", "太原市", []string{"小店区", "迎泽区"}, "030", 0.7, false},
	{"贵州省", "贵阳市", []string{"云岩区", "南明区", "观山湖区"}, "550", 0.7, true},
	{"吉林省", "长春市", []string{"朝阳区", "南关区"}, "130", 0.6, true},
	{"海南省", "海口市", []string{"龙华区", "美兰区"}, "570", 0.5, true},
	{"内蒙古自治区", "呼和浩特市", []string{"新城区", "赛罕区"}, "010", 0.4, true},
	{"甘肃省", "兰州市", []string{"城关区", "七里河区"}, "730", 0.4, true},
	{"新疆维吾尔自治区", "乌鲁木齐市", []string{"天山区", "沙依巴克区"}, "830", 0.3, true},
}

var (
	roads       = []string{"中山路", "人民路", "解放路", "建设路", "和平路", "长江路", "新华路", "文化路", "青年路", "学府路", "科技路", "滨江大道", "花园路", "东风路", "环城北路", "延安路"}
	communities = []string{"阳光花园", "锦绣华庭", "翠湖苑", "万科城", "碧桂园", "保利花园", "金地名郡", "绿城桂花园", "华润城", "龙湖春江郦城", "世纪新城", "书香门第"}
	towers      = []string{"国际金融中心", "时代广场", "科技大厦", "环球中心", "创意园", "财富大厦"}
)

func homeDetail(r *rand.Rand) string {
	return fmt.Sprintf("%s%d号%s%d栋%d单元%d%02d", pick(r, roads), 1+r.IntN(399), pick(r, communities), 1+r.IntN(30), 1+r.IntN(4), 1+r.IntN(32), 1+r.IntN(4))
}

func officeDetail(r *rand.Rand) string {
	return fmt.Sprintf("%s%d号%s%d楼", pick(r, roads), 1+r.IntN(399), pick(r, towers), 2+r.IntN(40))
}

// channels are where visits and orders come from (see GLOSSARY.md).
var channels = []string{"search", "live", "short_video", "community", "ads", "direct"}

const (
	chSearch = iota
	chLive
	chShortVideo
	chCommunity
	chAds
	chDirect
)

// channelMix is the share of each channel at fraction f of the history:
// live and short video grow, search and ads lose ground.
func channelMix(f float64, in dayInfo) [6]float64 {
	from := [6]float64{0.30, 0.14, 0.10, 0.10, 0.18, 0.18}
	to := [6]float64{0.20, 0.26, 0.20, 0.12, 0.12, 0.10}
	var mix [6]float64
	for i := range mix {
		mix[i] = from[i] + (to[i]-from[i])*f
	}
	if in.big || in.peak {
		mix[chLive] *= 1.6 // 大促 live rooms
		mix[chAds] *= 1.3
	}
	return mix
}

func pickChannel(r *rand.Rand, mix [6]float64) uint8 {
	var sum float64
	for _, w := range mix {
		sum += w
	}
	x := r.Float64() * sum
	for i, w := range mix {
		if x < w {
			return uint8(i)
		}
		x -= w
	}
	return chDirect
}

// favouriteMix is which department a customer mostly shops, by gender.
var favouriteMix = map[string][numTops]float64{
	"female": {topWomen: 0.42, topMen: 0.04, topBeauty: 0.24, topAccessories: 0.08, topHome: 0.13, topFood: 0.09},
	"male":   {topWomen: 0.05, topMen: 0.48, topBeauty: 0.08, topAccessories: 0.06, topHome: 0.15, topFood: 0.18},
	"":       {topWomen: 0.25, topMen: 0.2, topBeauty: 0.15, topAccessories: 0.1, topHome: 0.15, topFood: 0.15},
}

var notes = []string{"老客户，偏好M码", "收货时间：工作日白天", "曾投诉物流慢，注意安抚", "公司团购联系人", "不要放快递柜，送货上门", "对包装要求高，送礼用"}

// person is a customer as written to the customers table plus what their
// buying behaviour needs.
type person struct {
	name, phone, email, gender, birthday string
	channel                              uint8
	sms, mail, wecom                     bool
	age                                  int // 0 when unknown
	fav                                  int
	remote                               bool
}

func newPerson(r *rand.Rand, phones, qq, handles numbering, i int64, created time.Time, ch uint8) person {
	p := person{channel: ch}
	switch x := r.Float64(); {
	case x < 0.70:
		p.gender = "female"
	case x < 0.97:
		p.gender = "male"
	}
	p.name = personName(r, p.gender)
	p.phone = mobile(phones, i)
	if r.Float64() < 0.38 {
		if r.Float64() < 0.55 {
			p.email = strconv.FormatUint(100000000+qq.of(uint64(i)), 10) + "@qq.example"
		} else {
			p.email = fmt.Sprintf("%s%d@%s", pick(r, mailHandles), handles.of(uint64(i)), pick(r, mailDomains))
		}
	}
	if r.Float64() < 0.65 {
		p.age = 18 + int(gammaRand(r, 3, 3.6))
		if p.age > 62 {
			p.age = 62
		}
		b := created.AddDate(-p.age, 0, -r.IntN(365))
		p.birthday = b.Format("2006-01-02")
	}
	p.sms = r.Float64() < 0.55
	p.mail = p.email != "" && r.Float64() < 0.6
	wecom := 0.25
	switch ch {
	case chCommunity:
		wecom = 0.8
	case chLive:
		wecom = 0.35
	}
	p.wecom = r.Float64() < wecom
	fm := favouriteMix[p.gender]
	p.fav = weightedOf(fm[:]).pick(r)
	return p
}

// tagsFor are the 用户标签 an operator (or a rule) would have put on p.
func tagsFor(r *rand.Rand, p person, basket float64) []string {
	var tags []string
	add := func(ok bool, prob float64, tag string) {
		if ok && r.Float64() < prob {
			tags = append(tags, tag)
		}
	}
	add(p.age > 0 && p.age <= 22, 0.6, "学生")
	add(p.gender == "female" && p.age >= 26 && p.age <= 40, 0.3, "宝妈")
	add(p.age >= 23 && p.age <= 45, 0.2, "上班族")
	add(p.fav == topBeauty, 0.3, "敏感肌")
	add(basket > 1.6, 0.6, "高消费")
	add(basket < 0.55, 0.5, "价格敏感")
	add(p.channel == chLive, 0.5, "直播粉丝")
	add(p.channel == chCommunity && p.wecom, 0.6, "社群活跃")
	add(true, 0.04, "送礼需求")
	add(p.fav == topWomen || p.fav == topMen, 0.05, "大码")
	return tags
}
