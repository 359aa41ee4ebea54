package synth

import (
	"fmt"
	"math/rand/v2"
)

// industry is a line of business. It names firms and decides what they
// apply for: a restaurant needs a food licence, a haulier a road transport
// licence, a developer planning and construction permits.
type industry struct {
	tag      string
	company  float64  // weight among companies
	single   float64  // weight among individual businesses (个体工商户)
	co, shop []string // name forms of companies and of individual businesses
}

var industries = []industry{
	{"ceramics", 10, 1, []string{"%s陶瓷有限公司", "%s建材有限公司"}, []string{"%s陶瓷经营部"}},
	{"textile", 8, 2, []string{"%s针织有限公司", "%s纺织有限公司", "%s服装有限公司"}, []string{"%s针织厂"}},
	{"hardware", 8, 2, []string{"%s五金制品有限公司", "%s机械设备有限公司", "%s金属制品有限公司"}, []string{"%s五金店"}},
	{"trade", 14, 3, []string{"%s贸易有限公司", "%s商贸有限公司", "%s进出口有限公司"}, []string{"%s商行"}},
	{"tech", 9, 0.5, []string{"%s科技有限公司", "%s信息技术有限公司", "%s电子科技有限公司"}, []string{"%s电脑维修部"}},
	{"restaurant", 6, 18, []string{"%s餐饮管理有限公司", "%s饮食有限公司"}, []string{"%s粥粉面店", "%s大排档", "%s家常菜馆", "%s烧腊店", "%s茶餐厅", "%s奶茶店"}},
	{"retail", 5, 22, []string{"%s百货有限公司"}, []string{"%s便利店", "%s百货店", "%s服装店", "%s手机店", "%s日用品店"}},
	{"grocery", 2, 10, []string{"%s食品有限公司"}, []string{"%s副食店", "%s水果店", "%s粮油店"}},
	{"construction", 8, 1, []string{"%s建筑工程有限公司", "%s装饰工程有限公司"}, []string{"%s装饰工作室"}},
	{"logistics", 5, 3, []string{"%s物流有限公司", "%s运输有限公司", "%s货运代理有限公司"}, []string{"%s货运部"}},
	{"beauty", 1.5, 8, []string{"%s美容有限公司"}, []string{"%s美发店", "%s美容院", "%s美甲店"}},
	{"hotel", 1.5, 1, []string{"%s酒店有限公司", "%s酒店管理有限公司"}, []string{"%s旅馆", "%s民宿"}},
	{"pharmacy", 1.2, 1, []string{"%s大药房有限公司", "%s医药连锁有限公司"}, []string{"%s药店"}},
	{"eldercare", 0.6, 0.2, []string{"%s养老服务有限公司", "%s健康管理有限公司"}, []string{"%s长者服务中心"}},
	{"education", 2, 0.5, []string{"%s教育科技有限公司", "%s文化传播有限公司"}, []string{"%s培训中心"}},
	{"realestate", 2, 0, []string{"%s房地产开发有限公司", "%s置业有限公司"}, nil},
	{"autorepair", 1.5, 4, []string{"%s汽车服务有限公司"}, []string{"%s汽车维修服务部", "%s汽车美容店"}},
	{"entertainment", 0.8, 0.5, []string{"%s娱乐有限公司", "%s文化娱乐有限公司"}, []string{"%s歌舞厅"}},
	{"netcafe", 0.4, 0.6, []string{"%s网络科技有限公司"}, []string{"%s网吧"}},
	{"clinic", 0.8, 1, []string{"%s门诊部有限公司", "%s口腔门诊有限公司"}, []string{"%s诊所"}},
	{"hr", 1.5, 0.2, []string{"%s人力资源有限公司", "%s劳务派遣有限公司"}, []string{"%s职业介绍所"}},
	{"chemicals", 1.2, 0.3, []string{"%s化工有限公司", "%s涂料有限公司"}, []string{"%s化工经营部"}},
	{"recycling", 0.6, 1.2, []string{"%s再生资源回收有限公司"}, []string{"%s废品回收站"}},
	{"services", 6, 8, []string{"%s企业管理有限公司", "%s商务服务有限公司", "%s广告有限公司"}, []string{"%s洗衣店", "%s打印店", "%s家政服务部"}},
	{"agri", 0, 0, nil, nil},
	{"association", 0, 0, nil, nil},
}

var (
	companyIndustries, singleIndustries []float64
	industryIndex                       = map[string]uint8{}
)

func init() {
	var cw, sw []float64
	for i, ind := range industries {
		cw = append(cw, ind.company)
		sw = append(sw, ind.single)
		industryIndex[ind.tag] = uint8(i)
	}
	companyIndustries, singleIndustries = cumulative(cw), cumulative(sw)
}

func pickIndustry(r *rand.Rand, kind uint8) int {
	switch kind {
	case kindCompany:
		return pick(r, companyIndustries)
	case kindIndividual:
		return pick(r, singleIndustries)
	case kindCoop:
		return int(industryIndex["agri"])
	}
	return int(industryIndex["association"])
}

// Name forms of co-operatives and social organisations, which take the
// name of their place.
var (
	coopForms = []string{"佛山市禅城区%s蔬菜专业合作社", "佛山市禅城区%s花卉种植专业合作社", "佛山市禅城区%s水产养殖专业合作社"}
	// socialForms: two social service organisations (民办非企业单位), then
	// associations (社会团体).
	socialForms = []string{"佛山市禅城区%s社会工作服务中心", "佛山市禅城区%s长者服务中心", "佛山市禅城区%s志愿者协会", "佛山市禅城区%s书画协会", "佛山市禅城区%s商会", "佛山市禅城区%s慈善会"}
)

// orgName composes the name of an organisation.
func (g *gen) orgName(r *rand.Rand, o *org) string {
	trade := string([]rune{tradeChars[r.IntN(len(tradeChars))], tradeChars[r.IntN(len(tradeChars))]})
	ind := industries[o.industry]
	place := []rune(g.district.communities[o.comm].name)[:2]
	switch o.kind {
	case kindCompany:
		prefix := "佛山市"
		if r.Float64() < 0.35 {
			prefix = "佛山市禅城区"
		}
		return prefix + fmt.Sprintf(ind.co[r.IntN(len(ind.co))], trade)
	case kindIndividual:
		forms := ind.shop
		if len(forms) == 0 {
			forms = ind.co
		}
		name := trade
		if r.Float64() < 0.4 { // named after the owner: 陈记, 梁记
			name = string(surname(r, r.Float64() < 0.5)) + "记"
		}
		return "佛山市禅城区" + fmt.Sprintf(forms[r.IntN(len(forms))], name)
	case kindCoop:
		return fmt.Sprintf(coopForms[r.IntN(len(coopForms))], string(place))
	}
	if o.has(oServiceOrg) {
		return fmt.Sprintf(socialForms[r.IntN(2)], string(place))
	}
	return fmt.Sprintf(socialForms[2+r.IntN(len(socialForms)-2)], string(place))
}
